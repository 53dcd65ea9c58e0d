import Foundation
import Support

/// The one place ppds talks to tmux: a client for one tmux server, run by argv (never a shell
/// line), always with `-S socket` or `-L name` so it never reaches a server by accident.
///
/// tmux expands formats (`#{…}`, and `#(…)`, which runs a command) in many arguments
/// (`new-session -s`, `new-window -n` and `-c`, `pipe-pane`'s command), and ends a command at an
/// argument that ends in `;`. So what ppds gives tmux is its own: a session name made of
/// `[A-Za-z0-9_-]`, window names `work-N`, pane and window ids checked to be `%N`/`@N`, and a
/// command vector of ppds's own words (the agent, its prompt and every repository value reach the
/// pane through a private launch file, see `AgentLaunch`). The command words after `--` are run
/// by tmux with execvp when there are two or more of them (checked on tmux 3.3a: not expanded).
public struct Tmux: Sendable {
    public enum Server: Sendable, Equatable {
        /// `-S path`: a socket path (`PPDS_TMUX_SOCKET`, or the one a record names).
        case socket(String)
        /// `-L name`: a socket named in tmux's folder (`$TMUX_TMPDIR/tmux-UID/name`).
        case named(String)

        var arguments: [String] {
            switch self {
            case .socket(let path): ["-S", path]
            case .named(let name): ["-L", name]
            }
        }
    }

    public let server: Server
    public let executable: String

    /// The server ppds's workers live in: `PPDS_TMUX_SOCKET` (a socket path) when set, else the
    /// dedicated server `-L ppds`, under `TMUX_TMPDIR` (tmux's own rule) — never the user's default.
    public static let serverName = "ppds"

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PPDSError) -> Tmux {
        let executable = try installed(environment: environment)
        if let socket = environment["PPDS_TMUX_SOCKET"], !socket.isEmpty {
            guard socket.hasPrefix("/") else { throw PPDSError.invalid("PPDS_TMUX_SOCKET is '\(TerminalText.escaped(socket))', not an absolute path to a socket") }
            return Tmux(server: .socket(socket), executable: executable)
        }
        return Tmux(server: .named(serverName), executable: executable)
    }

    /// The client for the server a record names (its `#{socket_path}`).
    public static func recorded(socket: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PPDSError) -> Tmux {
        guard socket.hasPrefix("/"), !socket.contains("\0") else {
            throw PPDSError.invalid("the recorded tmux socket '\(TerminalText.escaped(socket))' is not an absolute path")
        }
        return Tmux(server: .socket(socket), executable: try installed(environment: environment))
    }

    public init(server: Server, executable: String) {
        self.server = server
        self.executable = executable
    }

    /// tmux's path on PATH, or the refusal that says how to get it.
    public static func installed(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PPDSError) -> String {
        guard let path = ProcessRunner.find("tmux", environment: environment) else {
            throw PPDSError.notFound("tmux was not found on PATH; ppds runs each worker in a tmux window: install tmux (apt install tmux, brew install tmux) and try again")
        }
        return path
    }

    /// The argument vector that runs `arguments` against this server.
    public func argv(_ arguments: [String]) -> [String] { [executable] + server.arguments + arguments }

    /// Runs one tmux command; its stdout, or a failure with tmux's own words.
    @discardableResult
    public func run(_ arguments: [String], timeout: TimeInterval = 15) throws(PPDSError) -> String {
        var environment: [String: String] = [:]
        // A client run from inside another tmux must not take that server's session as its default.
        environment["TMUX"] = ""
        let output = try ProcessRunner.run(argv(arguments), environment: environment, timeout: timeout, outputLimit: 8 << 20)
        guard output.status == 0, !output.timedOut, !output.overflowed else {
            let said = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PPDSError.failed("tmux \(arguments.first ?? ""): \(said.isEmpty ? output.summary : TerminalText.escaped(said))")
        }
        return output.stdout
    }

    // MARK: - Names tmux reads as its own

    /// A name for tmux (a session): letters, digits, `_` and `-` only (tmux reads `#` as a
    /// format, `:` and `.` as target separators), at most 48 characters.
    public static func safeName(_ text: String) -> String {
        let kept = String(text.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_" || scalar == "-") ? Character(scalar) : "_"
        })
        return String(kept.prefix(48))
    }

    /// The tmux session for a repository: its folder's name and a short digest of its path (two
    /// repositories with one name do not share a session).
    public static func sessionName(forRepo repoRoot: String) -> String {
        let folder = (repoRoot as NSString).lastPathComponent
        return safeName(folder.isEmpty ? "repo" : folder) + "-" + String(SHA256.hex(Data(repoRoot.utf8)).prefix(6))
    }

    /// Whether `id` is a tmux id of the given sigil (`%5`, `@3`), as a record must hold.
    public static func isID(_ id: String, sigil: Character) -> Bool {
        id.first == sigil && id.count > 1 && id.dropFirst().allSatisfy(\.isASCII) && id.dropFirst().allSatisfy(\.isNumber)
    }

    /// Words tmux would read as its own syntax in a command vector: one ending in `;` ends the
    /// command there. The first such word, or nil.
    public static func commandHazard(_ words: [String]) -> String? {
        words.first { $0.hasSuffix(";") || $0.contains("\0") }
    }

    /// `word` as tmux's argument parser gives it back: a word ending in `;` ends a command, and
    /// `\;` at the end stands for a `;` (tmux 3.3a, cmd-parse.c), so a final `;` is written `\;`.
    public static func literalWord(_ word: String) -> String {
        word.hasSuffix(";") ? String(word.dropLast()) + "\\;" : word
    }

    // MARK: - Commands

    /// What tmux says of a new pane.
    public struct NewPane: Sendable, Equatable {
        public var socket: String
        public var session: String
        public var window: String
        public var pane: String
        public var pid: Int32
    }

    static let paneFormat = "#{socket_path}\t#{session_name}\t#{window_id}\t#{pane_id}\t#{pane_pid}"

    static func parsePane(_ line: String) throws(PPDSError) -> NewPane {
        let fields = line.trimmingCharacters(in: .newlines).components(separatedBy: "\t")
        guard fields.count == 5, let pid = Int32(fields[4]) else { throw PPDSError.failed("tmux printed '\(TerminalText.escaped(line))', not a new pane") }
        return NewPane(socket: fields[0], session: fields[1], window: fields[2], pane: fields[3], pid: pid)
    }

    /// A new window `window` running `command` (ppds's own words: see the type's comment) in the
    /// session `session` (made when missing). Detached: nobody's terminal switches to it.
    public func newWindow(session: String, window: String, command: [String]) throws(PPDSError) -> NewPane {
        precondition(Tmux.safeName(session) == session && Tmux.safeName(window) == window)
        guard command.count >= 2 else { throw PPDSError.failed("a tmux command vector needs two words or more (one word goes to a shell)") }
        if let word = Tmux.commandHazard(command) {
            throw PPDSError.refused("'\(TerminalText.escaped(word))' ends in ';', which tmux reads as the end of its command; move ppds (or PPDS_HOME) to a path without it")
        }
        let windowArguments = ["new-window", "-d", "-t", "=" + session + ":", "-n", window, "-P", "-F", Tmux.paneFormat, "--"] + command
        if (try? run(["has-session", "-t", "=" + session])) != nil {
            return try Tmux.parsePane(run(windowArguments))
        }
        do {
            return try Tmux.parsePane(run(["new-session", "-d", "-s", session, "-n", window, "-x", "200", "-y", "50",
                                           "-P", "-F", Tmux.paneFormat, "--"] + command))
        } catch {
            // Another spawn made the session meanwhile.
            guard (try? run(["has-session", "-t", "=" + session])) != nil else { throw error }
            return try Tmux.parsePane(run(windowArguments))
        }
    }

    /// Whether the pane exists on this server.
    public func paneExists(_ pane: String) -> Bool {
        guard Tmux.isID(pane, sigil: "%") else { return false }
        return ((try? run(["display-message", "-p", "-t", pane, "#{pane_id}"])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) == pane
    }

    /// Keeps the pane's output: appended to `log` (a path under PPDS_HOME, made by ppds). The
    /// command is a shell line tmux expands as a format: the path is single-quoted for the shell
    /// and its `#` doubled for the format; nothing else goes there.
    public func pipePane(_ pane: String, to log: String) throws(PPDSError) {
        guard Tmux.isID(pane, sigil: "%") else { throw PPDSError.invalid("'\(TerminalText.escaped(pane))' is not a tmux pane id") }
        guard !log.contains("\0"), !log.contains("\n") else { throw PPDSError.invalid("the log path holds a control character") }
        let quoted = "'" + log.replacingOccurrences(of: "'", with: "'\\''") + "'"
        try run(["pipe-pane", "-o", "-t", pane, ("exec cat >> " + quoted).replacingOccurrences(of: "#", with: "##")])
    }

    /// What the pane shows, with `lines` lines of its history.
    public func capture(_ pane: String, lines: Int) throws(PPDSError) -> String {
        guard Tmux.isID(pane, sigil: "%") else { throw PPDSError.invalid("'\(TerminalText.escaped(pane))' is not a tmux pane id") }
        return try run(["capture-pane", "-p", "-J", "-t", pane, "-S", "-\(max(lines, 0))"])
    }

    /// Types `text` into the pane literally (`send-keys -l`: no key names, no formats), then Enter
    /// as a key of its own when asked.
    public func sendLiteral(_ pane: String, text: String, enter: Bool) throws(PPDSError) {
        guard Tmux.isID(pane, sigil: "%") else { throw PPDSError.invalid("'\(TerminalText.escaped(pane))' is not a tmux pane id") }
        // `--` so a text starting with '-' is text, not an option.
        if !text.isEmpty { try run(["send-keys", "-l", "-t", pane, "--", Tmux.literalWord(text)]) }
        if enter { try run(["send-keys", "-t", pane, "Enter"]) }
    }

    public func killWindow(_ window: String) throws(PPDSError) {
        guard Tmux.isID(window, sigil: "@") else { throw PPDSError.invalid("'\(TerminalText.escaped(window))' is not a tmux window id") }
        try run(["kill-window", "-t", window])
    }

    public func killServer() { _ = try? run(["kill-server"]) }
}
