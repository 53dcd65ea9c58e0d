import Foundation
import GitKit
import SessionKit
import Support
#if canImport(Glibc)
import Glibc
import LifecycleCore
#endif

/// What the last sync left per session: the commit its ref named (equal to the remote's) and
/// the identity of its files (device, inode, size, modification time in ns). When neither the
/// refs nor the files moved since, the session is unchanged and sync skips it without reading
/// anything, which keeps a no-change sync of 1,000 sessions within one fetch and a few stats.
/// Only a hint: a missing or wrong cache just means every session is read.
struct RegistrySyncCache {
    struct Entry: Equatable {
        var ref: String
        var files: String
    }

    var remote: String
    var entries: [Int: Entry] = [:]

    static func file(_ workspace: Workspace) -> String { workspace.mirrorStore.home + "/synced" }

    // One line per session, `<issue> <ref> <files>`, after a first line naming the remote:
    // read in a few milliseconds for 5,000 sessions (JSON took tens).
    static func load(_ workspace: Workspace, remote: String) -> RegistrySyncCache {
        var cache = RegistrySyncCache(remote: remote)
        guard let data = try? PrivateFile.read(file(workspace)) else { return cache }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.first.map(String.init) == "remote " + remote else { return cache }
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let issue = Int(parts[0]) else { continue }
            cache.entries[issue] = Entry(ref: String(parts[1]), files: String(parts[2]))
        }
        return cache
    }

    func save(_ workspace: Workspace) {
        var text = "remote " + remote + "\n"
        for (issue, entry) in entries.sorted(by: { $0.key < $1.key }) { text += "\(issue) \(entry.ref) \(entry.files)\n" }
        try? PrivateFile.write(Data(text.utf8), to: Self.file(workspace), home: workspace.store.home)
    }

    /// The identity of every file that may hold a session: the spec's place, this repository's
    /// own folder, and the mirror. Built once per sync (the folders), then one call per issue.
    struct FileProbe {
        let folders: [String]

        init(_ workspace: Workspace) {
            folders = [workspace.store.sessionsDir + "/",
                       workspace.store.sessionsDir + "/" + SessionStore.folderKey(forRepo: workspace.repoRoot) + "/",
                       workspace.mirrorStore.sessionsDir + "/"]
        }

        func files(of issue: IssueNumber) -> String {
            let name = "work-\(issue.value).json"
            var out = ""
            for folder in folders {
                var info = stat()
                if !out.isEmpty { out += "," }
                if lstat(folder + name, &info) == 0 {
                    out += "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
                } else {
                    out += "-"
                }
            }
            return out
        }
    }
}
