#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A file's identity: device and inode. Two paths name the same folder exactly when their
/// identities are equal, whatever symlinks, bind mounts or other spellings lie between.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of what `path` names (symlinks followed); nil when it does not exist.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    public var description: String { "\(device)-\(inode)" }
}

/// Where file systems are mounted, from `/proc/self/mountinfo`.
public enum MountTable {
    /// Mount points at `folder` or below it. A bind mount of the same file system has the
    /// same device number, so a device scan alone would miss it; the kernel's table does not.
    public static func mountPoints(atOrBelow folder: String, in table: [String]? = nil) -> [String] {
        let root = canonicalPath(folder)
        return (table ?? all()).filter { path($0, isAtOrBelow: root) }
    }

    /// Every mount point (unescaped), or none when the table cannot be read.
    public static func all() -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/self/mountinfo") else { return [] }
        var points: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4 else { continue }
            points.append(unescape(String(fields[4])))
        }
        return points
    }

    /// The kernel writes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: String) -> String {
        let raw = Array(field.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 4 <= raw.count,
               let value = UInt8(String(decoding: raw[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func path(_ path: String, isAtOrBelow folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }
}

/// Whether two paths name the same file or folder: by identity when both exist (bind
/// mounts, symlinks, other spellings), else by canonical path.
public func samePlace(_ a: String, _ b: String) -> Bool {
    if a == b { return true }
    if let first = FileIdentity(path: a), let second = FileIdentity(path: b) { return first == second }
    return canonicalPath(a) == canonicalPath(b)
}
