#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSpawn
import FoundationEssentials
import Support

/// The full program: `ppds-full`, next to this executable (its real path, so a link to `ppds`
/// elsewhere still finds it).
enum FullProgram {
    static let name = "ppds-full"

    /// Replaces this process with the full program, with the same arguments (argv[0] included,
    /// so the paths it derives from how it was invoked are the front's) and environment; with
    /// `stdin` (a hook's payload), those bytes are its standard input (what the front already
    /// read), and a missing full program still ends the hook with 0: a hook never blocks the agent.
    static func run(stdin: Data? = nil) -> Never {
        if let stdin { replaceStandardInput(with: stdin) }
        let path = location()
        execv(path, CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        let shown = String(decoding: path.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let message = TerminalText.block("cannot run the full program \(shown): \(reason); install \(name) next to ppds ('swift build' builds both)",
                                         prefix: "ppds: ") + "\n"
        _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        exit(stdin == nil ? 1 : 0)
    }

    /// Standard input becomes an in-memory file holding `bytes`, read from its start. If that
    /// cannot be made, stdin stays as it is (drained), and the full program reports the payload
    /// as missing: the hook still exits 0.
    static func replaceStandardInput(with bytes: Data) {
        let fd = ppds_memory_file()
        guard fd >= 0 else { return }
        guard FileDescriptor.writeAll(fd, bytes) == nil, lseek(fd, 0, SEEK_SET) == 0, dup2(fd, STDIN_FILENO) >= 0 else {
            close(fd)
            return
        }
        close(fd)
    }

    /// `ppds-full` in the folder of the running executable, as a C string (the bytes of the
    /// path as the kernel gave them).
    static func location() -> [CChar] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var executable = count > 0 ? Array(buffer[0..<count]) : invokedPath()
        let slash = CChar(UInt8(ascii: "/"))
        if let last = executable.lastIndex(of: slash) {
            executable.removeSubrange((last + 1)...)
        } else {
            // Never the current folder: it may be an untrusted repository's.
            executable = Array("/nonexistent/".utf8CString.dropLast())
        }
        return executable + name.utf8CString
    }

    /// Without /proc: argv[0] when it names a path, else the first `PATH` entry holding an
    /// executable of that name (where the shell found it).
    static func invokedPath() -> [CChar] {
        let invoked = CommandLine.arguments[0]
        if invoked.contains("/") { return Array(invoked.utf8CString.dropLast()) }
        for folder in (getenv("PATH").map { String(cString: $0) } ?? "").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = folder + "/" + invoked
            if access(candidate, X_OK) == 0 { return Array(candidate.utf8CString.dropLast()) }
        }
        return []
    }
}
