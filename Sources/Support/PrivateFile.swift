#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Files and folders under `$PPDS_HOME`, which is private: folders 0700 and files 0600 whatever
/// the umask; a final symlink is never followed, and a file or folder that belongs to another
/// user (or is a hard link to a file elsewhere) is refused rather than used.
public enum PrivateFile {
    public static let folderMode: mode_t = 0o700
    public static let fileMode: mode_t = 0o600

    /// Makes `path` and any missing parents (new ones 0700), then checks `path` itself: a real
    /// folder (not a symlink), this user's, and made 0700 when it was more open. With `home`,
    /// every folder from `home` down to `path` is checked the same way. The home itself may be
    /// a symlink the user made (`~/.ppds -> /data/ppds`), to a folder of theirs; nothing under it.
    public static func ensureFolder(_ path: String, home: String? = nil) throws(FileSystemError) {
        let target = Paths.trimmingSlash(path)
        var chain: [String] = [target]
        if let home {
            let top = Paths.trimmingSlash(home)
            var current = target
            while current.count > top.count, current.hasPrefix(top + "/") {
                current = current.parentPath
                chain.append(current)
            }
        }
        // Create top-down: parents outside home as usual (0700), then each checked.
        try createMissing(target)
        let top = Paths.trimmingSlash(home ?? path)
        for folder in chain.reversed() { try checkFolder(folder, followingLink: folder == top) }
    }

    /// Whether `path` is `$HOME`, `/`, or a folder above `$HOME`.
    static func isHomeOrAbove(_ path: String) -> Bool {
        func real(_ p: String) -> String? {
            guard let r = realpath(p, nil) else { return nil }
            defer { free(r) }
            return String(cString: r)
        }
        guard let folder = real(path) else { return false }
        if folder == "/" { return true }
        guard let home = Environment.value("HOME").flatMap(real) else { return false }
        return home == folder || home.hasPrefix(folder + "/")
    }

    private static func createMissing(_ path: String) throws(FileSystemError) {
        var info = stat()
        if lstat(path, &info) == 0 { return }
        let parent = path.parentPath
        if !parent.isEmpty && parent != path { try createMissing(parent) }
        if mkdir(path, folderMode) != 0 && errno != EEXIST {
            throw FileSystemError(path: path, message: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
    }

    /// A folder of ppds's own: not a symlink (unless `followingLink`, for the home itself),
    /// owned by this user, 0700.
    public static func checkFolder(_ path: String, followingLink: Bool = false) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | (followingLink ? 0 : O_NOFOLLOW) | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ELOOP || errno == ENOTDIR ? "it is not a folder (a symbolic link?); ppds keeps its files in a private folder of its own"
                : String(cString: strerror(errno))
            throw FileSystemError(path: path, message: reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(path: path, message: String(cString: strerror(errno))) }
        guard info.st_uid == geteuid() else {
            throw FileSystemError(path: path, message: "it belongs to another user (uid \(info.st_uid)); ppds uses only a folder of its own user; move it aside or set PPDS_HOME")
        }
        if info.st_mode & 0o077 != 0 {
            // A shared folder (sticky, like /tmp) is never taken over.
            guard info.st_mode & 0o1000 == 0 else {
                throw FileSystemError(path: path, message: "it is a shared folder (sticky bit); set PPDS_HOME to a folder of ppds's own")
            }
            // Nor a folder that is plainly not ppds's own: the user's home or one above it.
            if followingLink, isHomeOrAbove(path) {
                throw FileSystemError(path: path, message: "PPDS_HOME names your home folder (or one above it), which ppds will not make private; set PPDS_HOME to a folder of ppds's own (the default is ~/.ppds)")
            }
            fchmod(fd, folderMode)
        }
    }

    /// Checks an open descriptor of a file under the home: a regular file of this user with
    /// one link, then makes it 0600.
    public static func checkFile(_ fd: Int32, path: String) throws(FileSystemError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(path: path, message: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileSystemError(path: path, message: "it is not a regular file; move it aside")
        }
        guard info.st_uid == geteuid() else {
            throw FileSystemError(path: path, message: "it belongs to another user (uid \(info.st_uid)); ppds does not use it; move it aside")
        }
        guard info.st_nlink <= 1 else {
            throw FileSystemError(path: path, message: "it has \(info.st_nlink) hard links (a link to a file elsewhere?); ppds does not write through it; move it aside")
        }
        if info.st_mode & 0o7777 != fileMode { fchmod(fd, fileMode) }
    }

    private static func openError(_ path: String) -> FileSystemError {
        FileSystemError(path: path, message: errno == ELOOP ? "it is a symbolic link; ppds does not follow links in its folder; remove it"
            : String(cString: strerror(errno)))
    }

    /// Opens (creating, 0600) a file under the home for writing, without following a final
    /// symlink; an existing file must pass `checkFile`. With `truncate`, it is emptied after the
    /// checks (so a link to another file is refused before anything is lost).
    public static func openForWriting(_ path: String, truncate: Bool = false, append: Bool = false) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (append ? O_APPEND : 0), fileMode)
        guard fd >= 0 else { throw openError(path) }
        do {
            try checkFile(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        if truncate && ftruncate(fd, 0) != 0 {
            let failure = openError(path)
            close(fd)
            throw failure
        }
        return fd
    }

    /// The whole content of a file under the home (at most `limit` bytes), or nil when there is
    /// none. A symlink, another user's file or a non-regular file is an error.
    public static func read(_ path: String, limit: Int = 16 << 20) throws(FileSystemError) -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw openError(path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw openError(path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw FileSystemError(path: path, message: "it is not a regular file; move it aside") }
        guard info.st_uid == geteuid() else {
            throw FileSystemError(path: path, message: "it belongs to another user (uid \(info.st_uid)); ppds does not use it; move it aside")
        }
        guard info.st_size <= limit else { throw FileSystemError(path: path, message: "it is larger than \(limit) bytes") }
        return FileDescriptor.readToEnd(fd)
    }

    /// Writes a file under the home atomically (temporary file, fsync, rename), 0600 whatever
    /// the umask; the folder is made private first.
    public static func write(_ data: Data, to path: String, home: String? = nil) throws(FileSystemError) {
        try ensureFolder(path.parentPath, home: home)
        try AtomicFile.write(data, to: path, mode: fileMode, exactMode: true)
    }
}
