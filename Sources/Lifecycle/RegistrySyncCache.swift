import Foundation
import GitKit
import SessionKit
import Support
#if canImport(Glibc)
import Glibc
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

    static func file(_ workspace: Workspace) -> String { workspace.mirrorStore.home + "/synced.json" }

    static func load(_ workspace: Workspace, remote: String) -> RegistrySyncCache {
        var cache = RegistrySyncCache(remote: remote)
        guard let data = FileManager.default.contents(atPath: file(workspace)),
              let object = (try? JSONValue.parse(data))?.objectValue,
              object["remote"]?.stringValue == remote,
              let sessions = object["sessions"]?.objectValue else { return cache }
        for (key, value) in sessions {
            guard let issue = Int(key), let fields = value.objectValue,
                  let ref = fields["ref"]?.stringValue, let files = fields["files"]?.stringValue else { continue }
            cache.entries[issue] = Entry(ref: ref, files: files)
        }
        return cache
    }

    func save(_ workspace: Workspace) {
        let sessions = Dictionary(uniqueKeysWithValues: entries.map { (String($0.key), JSONValue.object(["ref": .string($0.value.ref), "files": .string($0.value.files)])) })
        let document = JSONValue.object(["remote": .string(remote), "sessions": .object(sessions)])
        try? FileManager.default.createDirectory(atPath: workspace.mirrorStore.home, withIntermediateDirectories: true)
        try? AtomicFile.write(Data(JSONWriter.write(document, pretty: false).utf8), to: Self.file(workspace))
    }

    /// The identity of every file that may hold `issue`'s session: the spec's place, this
    /// repository's own folder, and the mirror.
    static func files(of issue: IssueNumber, _ workspace: Workspace) -> String {
        let name = issue.sessionID + ".json"
        let paths = [workspace.store.sessionsDir + "/" + name,
                     workspace.store.sessionsDir + "/" + SessionStore.folderKey(forRepo: workspace.repoRoot) + "/" + name,
                     workspace.mirrorStore.sessionsDir + "/" + name]
        return paths.map { path in
            var info = stat()
            guard lstat(path, &info) == 0 else { return "-" }
            return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: ",")
    }
}
