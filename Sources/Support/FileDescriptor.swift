#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Whole reads and writes on a raw descriptor, resumed after a signal interrupts them
/// (Foundation's FileHandle traps on EINTR).
public enum FileDescriptor {
    /// Writes all of `data`; returns nil, or the error's description.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ data: Data) -> String? {
        data.withUnsafeBytes { buffer -> String? in
            guard let base = buffer.baseAddress else { return nil }
            return writeAll(fd, base, buffer.count)
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> String? {
        var offset = 0
        while offset < count {
            let written = write(fd, bytes + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += written
        }
        return nil
    }

    /// Everything until the end of the stream.
    public static func readToEnd(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { data.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && errno == EINTR { continue }
            return data
        }
    }
}

/// Text to stdout or stderr, written whole through `write(2)` (for the targets the front links,
/// which have no FileHandle). A failed write is dropped, as `FileHandle.write` of a closed
/// stream would lose it too, without trapping.
public enum StandardStream {
    public static func output(_ text: String) { _ = FileDescriptor.writeAll(STDOUT_FILENO, Data(text.utf8)) }
    public static func error(_ text: String) { _ = FileDescriptor.writeAll(STDERR_FILENO, Data(text.utf8)) }
}

/// One environment variable, read with getenv(3): `ProcessInfo.environment` builds a dictionary
/// of all of them, which costs more than a front's whole work.
public enum Environment {
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
