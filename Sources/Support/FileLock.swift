#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file, across processes and threads (each call opens its own
/// file description). Waits while another holder has it; a signal does not end the wait.
public enum FileLock {
    /// Locks the file at `path` (made when missing), or an existing folder when `folder` is set.
    public static func withLock<T>(_ path: String, folder: Bool = false, _ body: () throws -> T) throws -> T {
        let fd = folder ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, PrivateFile.fileMode)
        guard fd >= 0 else { throw FileSystemError(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        if !folder { try PrivateFile.checkFile(fd, path: path) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileSystemError(path: path, message: String(cString: strerror(errno))) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
