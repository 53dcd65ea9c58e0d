#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Support

/// The full program: `ppds-full`, next to this executable (its real path, so a link to `ppds`
/// elsewhere still finds it).
enum FullProgram {
    static let name = "ppds-full"

    /// Replaces this process with the full program, with the same arguments (argv[0] included,
    /// so the paths it derives from how it was invoked are the front's) and environment.
    static func run() -> Never {
        let path = location()
        execv(path, CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        let shown = String(decoding: path.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let message = TerminalText.block("cannot run the full program \(shown): \(reason); install \(name) next to ppds ('swift build' builds both)",
                                         prefix: "ppds: ") + "\n"
        _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        exit(1)
    }

    /// `ppds-full` in the folder of the running executable, as a C string (the bytes of the
    /// path as the kernel gave them).
    static func location() -> [CChar] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var executable = count > 0 ? Array(buffer[0..<count]) : Array(CommandLine.arguments[0].utf8CString.dropLast())
        let slash = CChar(UInt8(ascii: "/"))
        if let last = executable.lastIndex(of: slash) {
            executable.removeSubrange((last + 1)...)
        } else {
            executable = [CChar(UInt8(ascii: ".")), slash]
        }
        return executable + name.utf8CString
    }
}
