#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Text to stdout or stderr, written whole through `write(2)` (for the targets the front links,
/// which have no FileHandle). A failed write is dropped, as `FileHandle.write` of a closed
/// stream would lose it too, without trapping.
public enum StandardStream {
    public static func output(_ text: String) { _ = FileDescriptor.writeAll(STDOUT_FILENO, Data(text.utf8)) }
    public static func error(_ text: String) { _ = FileDescriptor.writeAll(STDERR_FILENO, Data(text.utf8)) }
}
