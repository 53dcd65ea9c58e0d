import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A live process that uses a folder: its current folder or root is inside, or it has a file
/// inside open or mapped. Removing the folder under it would break it (or let it write files
/// into a folder that is gone).
public struct FolderUser: Sendable, Equatable {
    public enum Use: String, Sendable, Equatable {
        case currentFolder, root, openFile, mappedFile
    }

    public var pid: Int32
    /// Its command line as /proc gives it: untrusted text, escaped where shown.
    public var command: String
    public var use: Use
    /// What lies inside: the folder or file as the process names it.
    public var path: String

    public init(pid: Int32, command: String, use: Use, path: String) {
        self.pid = pid
        self.command = command
        self.use = use
        self.path = path
    }
}

/// Every place each readable process uses, read once from `/proc` (cwd, root, fd, maps), so
/// a run asks about many folders for the cost of one scan. Folders compare by identity
/// (device and inode) of the folder and each of its parents, so a symlink or a bind mount
/// leading into a worktree is seen as inside it.
///
/// Only processes this user may read are seen: another user's `/proc/<pid>/cwd` and `fd` need
/// privileges ppds does not have (`unreadable` counts them; nothing is said about them).
public struct ProcessPlaces: Sendable {
    struct Place: Sendable {
        var pid: Int32
        var use: FolderUser.Use
        var path: String
        /// The identities of the folder (or the file's folder) and every parent up to `/`.
        var chain: [FileIdentity]
    }

    var places: [Place] = []
    var commands: [Int32: String] = [:]
    /// Processes whose places could not be read (other users', or gone mid-scan).
    public private(set) var unreadable = 0

    /// Reads every process but this one and its children (ppds's own `git status` runs inside
    /// worktrees while a run gathers facts).
    public static func scan(excluding excluded: Set<Int32> = [], excludingChildren: Bool = true) -> ProcessPlaces {
        var scan = ProcessPlaces()
        let me = getpid()
        var chains: [String: [FileIdentity]] = [:]
        func chain(ofFolder folder: String) -> [FileIdentity] {
            if let known = chains[folder] { return known }
            let found = identityChain(folderPath: folder)
            chains[folder] = found
            return found
        }
        for pid in ProcessTable.pids() where pid != me && !excluded.contains(pid) {
            if let stat = ProcessTable.stat(pid), (excludingChildren && stat.parent == me) || stat.state == "Z" { continue }
            var readable = false
            for (link, use) in [("cwd", FolderUser.Use.currentFolder), ("root", .root)] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/\(link)") else { continue }
                readable = true
                // The magic link opens the folder itself even when its path is not reachable from here.
                let identities = identityChain(folderPath: "/proc/\(pid)/\(link)")
                // A root of `/` holds everything: only a chroot elsewhere says anything.
                if use == .root && identities.count <= 1 { continue }
                scan.places.append(Place(pid: pid, use: use, path: target, chain: identities))
            }
            if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
                readable = true
                for fd in fds {
                    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                          let folder = folderOfFile(target) else { continue }
                    scan.places.append(Place(pid: pid, use: .openFile, path: target, chain: chain(ofFolder: folder)))
                }
            }
            if let maps = FileManager.default.contents(atPath: "/proc/\(pid)/maps") {
                var seen: Set<String> = []
                for line in String(decoding: maps, as: UTF8.self).split(separator: "\n") {
                    // address perms offset dev inode path: the path is the rest, after five fields.
                    let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                    guard fields.count == 6 else { continue }
                    let path = fields[5].trimmingCharacters(in: .whitespaces)
                    guard seen.insert(path).inserted, let folder = folderOfFile(path) else { continue }
                    scan.places.append(Place(pid: pid, use: .mappedFile, path: path, chain: chain(ofFolder: folder)))
                }
            }
            if readable {
                let command = ProcessTable.command(of: pid)
                // git's file-system monitor watches a worktree and ends when it goes: no obstacle.
                if command.hasPrefix("git fsmonitor--daemon") {
                    scan.places.removeAll { $0.pid == pid }
                    continue
                }
                scan.commands[pid] = command
            } else {
                scan.unreadable += 1
            }
        }
        return scan
    }

    /// The processes using `folder` (at it or below), one entry per process (its first use).
    public func users(of folder: String) -> [FolderUser] {
        guard let root = FileIdentity(path: folder) else { return [] }
        var users: [FolderUser] = []
        var seen: Set<Int32> = []
        for place in places where place.chain.contains(root) && seen.insert(place.pid).inserted {
            users.append(FolderUser(pid: place.pid, command: commands[place.pid] ?? "?", use: place.use, path: place.path))
        }
        return users
    }

    /// The folder a link target names a file in: absolute paths only (not `pipe:[…]`, `socket:[…]`,
    /// `[heap]`); a deleted file's folder is where it was.
    static func folderOfFile(_ target: String) -> String? {
        guard target.hasPrefix("/") else { return nil }
        let path = target.hasSuffix(" (deleted)") ? String(target.dropLast(" (deleted)".count)) : target
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "/" : folder
    }

    /// The identities of a folder and each parent, walked with `..` from an open descriptor so
    /// no path spelling (symlink, bind mount) can hide a parent. Empty when it cannot be opened.
    static func identityChain(folderPath: String) -> [FileIdentity] {
        var fd = open(folderPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        var chain: [FileIdentity] = []
        while chain.count < 512 {
            var info = stat()
            guard fstat(fd, &info) == 0 else { break }
            let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if chain.last == identity { break }
            chain.append(identity)
            let parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(fd)
            fd = parent
            if fd < 0 { break }
        }
        if fd >= 0 { close(fd) }
        return chain
    }
}
