#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
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
                guard let target = readLink("/proc/\(pid)/\(link)") else { continue }
                readable = true
                // A root of `/` holds everything: only a chroot elsewhere says anything.
                if use == .root && target == "/" { continue }
                // The magic link opens the folder itself even when its path is not reachable from here.
                scan.places.append(Place(pid: pid, use: use, path: target, chain: identityChain(folderPath: "/proc/\(pid)/\(link)")))
            }
            if let fds = entries("/proc/\(pid)/fd") {
                readable = true
                for fd in fds {
                    guard let target = readLink("/proc/\(pid)/fd/\(fd)"), let folder = folderOfFile(target) else { continue }
                    scan.places.append(Place(pid: pid, use: .openFile, path: target, chain: chain(ofFolder: folder)))
                }
            }
            for path in mappedFiles(pid) {
                guard let folder = folderOfFile(path) else { continue }
                scan.places.append(Place(pid: pid, use: .mappedFile, path: path, chain: chain(ofFolder: folder)))
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

    /// A symbolic link's target (readlink(2): /proc's links are read often, Foundation's call costs more).
    static func readLink(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) { readlink(path, $0, pointer.count) }
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// A folder's entry names; nil when it cannot be read (another user's /proc/<pid>/fd).
    static func entries(_ folder: String) -> [String]? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The distinct files a process maps (`/proc/<pid>/maps`: the path after five fields, for
    /// mappings of a file, inode not 0).
    static func mappedFiles(_ pid: Int32) -> [String] {
        let fd = open("/proc/\(pid)/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        let bytes = [UInt8](FileDescriptor.readToEnd(fd))
        close(fd)
        var seen: Set<String> = []
        var files: [String] = []
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            // The path is the first '/' after the fifth field; anonymous and [heap]-like mappings have none.
            var index = lineStart, fields = 0
            while index < lineEnd && fields < 5 {
                while index < lineEnd && bytes[index] != UInt8(ascii: " ") { index += 1 }
                while index < lineEnd && bytes[index] == UInt8(ascii: " ") { index += 1 }
                fields += 1
            }
            if index < lineEnd && bytes[index] == UInt8(ascii: "/") {
                let path = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
                if seen.insert(path).inserted { files.append(path) }
            }
            lineStart = lineEnd + 1
        }
        return files
    }

    /// The folder a link target names a file in: absolute paths only (not `pipe:[…]`, `socket:[…]`,
    /// `[heap]`); a deleted file's folder is where it was.
    static func folderOfFile(_ target: String) -> String? {
        guard target.hasPrefix("/") else { return nil }
        let path = target.hasSuffix(" (deleted)") ? String(target.dropLast(" (deleted)".count)) : target
        let folder = path.parentPath
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
