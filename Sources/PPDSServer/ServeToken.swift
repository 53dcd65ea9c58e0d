import Foundation
import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `$PPDS_HOME/serve-token`: the secret every request to `ppds serve` needs, loopback or not.
///
/// - A new one each time `serve` starts (a leaked token dies with its server).
/// - Written private from the first byte: a temporary file made with `O_CREAT|O_EXCL|O_NOFOLLOW`
///   and mode 0600, fsynced, then renamed over the old one, in a `$PPDS_HOME` that is made
///   0700 (and must belong to this user).
/// - Read with `O_NOFOLLOW`; a symlink, anything but a regular file, or a file owned by
///   another user is refused.
public enum ServeToken {
    public static let fileName = "serve-token"

    public static func path(home: String) -> String { home + "/" + fileName }

    /// 32 random bytes as 64 hex digits.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Makes a new token and writes it; returns it.
    public static func rotate(home: String) throws(PPDSError) -> String {
        let token = generate()
        let dir = try privateFolder(home)
        defer { close(dir) }
        let temporary = ".\(fileName).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        // 0600 from the start: the file never exists with other permissions (a umask can only
        // take bits away).
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(home, "cannot create the token file", errno) }
        var problem = FileDescriptor.writeAll(fd, Data((token + "\n").utf8))
        if problem == nil, fchmod(fd, 0o600) != 0 || fsync(fd) != 0 { problem = String(cString: strerror(errno)) }
        close(fd)
        if problem == nil, renameat(dir, temporary, dir, fileName) != 0 { problem = String(cString: strerror(errno)) }
        if let problem {
            unlinkat(dir, temporary, 0)
            throw PPDSError.failed("\(path(home: home)): cannot write the token: \(problem)")
        }
        fsync(dir)
        return token
    }

    /// The token in the file, or nil when there is none. Refuses a symlink, a non-regular file
    /// and a file owned by another user.
    public static func read(home: String) throws(PPDSError) -> String? {
        let file = path(home: home)
        let fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw PPDSError.refused("\(file) is a symlink; refusing to read the token through it") }
            throw failure(file, "cannot read the token", errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(file, "cannot read the token", errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw PPDSError.refused("\(file) is not a regular file") }
        guard info.st_uid == geteuid() else { throw PPDSError.refused("\(file) belongs to uid \(info.st_uid), not to this user; refusing it") }
        guard info.st_size <= 4096 else { throw PPDSError.refused("\(file) is too large to be a token") }
        let text = String(decoding: FileDescriptor.readToEnd(fd), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.count >= 32 ? text : nil
    }

    /// `home`, made when missing, as an open descriptor; it must belong to this user and is
    /// made 0700 when it is more open.
    static func privateFolder(_ home: String) throws(PPDSError) -> Int32 {
        if mkdir(home, 0o700) != 0, errno == ENOENT {
            do {
                try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw PPDSError.failed("\(home): cannot make the folder: \(error.localizedDescription)")
            }
        }
        let dir = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw failure(home, "cannot open the folder", errno) }
        var info = stat()
        guard fstat(dir, &info) == 0 else { let code = errno; close(dir); throw failure(home, "cannot open the folder", code) }
        guard info.st_uid == geteuid() else {
            close(dir)
            throw PPDSError.refused("\(home) belongs to uid \(info.st_uid), not to this user; refusing to keep the serve token there")
        }
        if info.st_mode & 0o077 != 0, fchmod(dir, 0o700) != 0 {
            let code = errno; close(dir)
            throw failure(home, "cannot make the folder private (0700)", code)
        }
        return dir
    }

    static func failure(_ path: String, _ what: String, _ code: Int32) -> PPDSError {
        .failed("\(path): \(what): \(String(cString: strerror(code)))")
    }
}
