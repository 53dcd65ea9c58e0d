#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which program answers a command line: the front itself, or the full program.
enum FrontRoute: Equatable {
    /// `hook …`: the agent hook (the full program sends it past its parser too).
    case hook
    /// `--version` alone.
    case version
    /// `--help` or `-h` alone, when the help would be rendered at the width `rootHelp` was.
    case help
    /// Anything else, unchanged.
    case full

    /// Only exact forms are the front's; any other line (options around them, a typo, a command
    /// the front does not know) goes to the full program, whose parser says what it says today.
    static func of(_ arguments: [String], helpWidth: Int) -> FrontRoute {
        guard let first = arguments.first else { return .full }
        if first == "hook" { return .hook }
        guard arguments.count == 1 else { return .full }
        switch first {
        case "--version": return .version
        case "--help", "-h": return helpWidth == rootHelpWidth ? .help : .full
        default: return .full
        }
    }

    /// The width swift-argument-parser renders help at: `COLUMNS` when it is a number, else the
    /// terminal's width on stdout, else 80 (its `Platform.terminalSize`).
    static func helpWidth() -> Int {
        if let columns = getenv("COLUMNS"), let width = Int(String(cString: columns)) { return width }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}
