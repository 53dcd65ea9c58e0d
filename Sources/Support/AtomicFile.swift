#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A file-system operation that failed: the path and why.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Temporary file in the same folder, fsync, rename: a reader never sees half a file.
public enum AtomicFile {
    /// `mode` is the new file's permissions (less the umask), for files that must stay private.
    /// With `exactMode`, the file gets `mode` whatever the umask.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, exactMode: Bool = false) throws(FileSystemError) {
        let folder = path.parentPath
        let name = path.lastPathPart
        let temporary = "\(folder)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError(path: temporary, message: String(cString: strerror(errno))) }
        if exactMode { fchmod(fd, mode) }
        var failure = FileDescriptor.writeAll(fd, data)
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw FileSystemError(path: path, message: "write failed: \(failure)")
        }
        let dirFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }
}
