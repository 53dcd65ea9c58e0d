#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// The worker's agent process as ppds started it (`spawn`, `start-work --spawn`, `--exec`): the
/// session file's `agentProcess` key (not `agent`, which other tools write). Written by the process that supervises the agent (`ppds agent-run`,
/// the pane's first process) when it starts the agent and when the agent exits.
///
/// Read as untrusted like every session key: a pid here is only a claim. Before ppds signals or
/// reports a pid as alive it checks that the process on *this* machine still has the recorded
/// `pidStart` (its start time in clock ticks, `/proc/<pid>/stat` field 22), so a reused pid or a
/// pid written by someone else is never taken for the agent.
public struct AgentRecord: Sendable, Equatable {
    /// How the agent's terminal is reached, when it runs in tmux.
    public struct TmuxPane: Sendable, Equatable {
        /// The tmux server's socket path (`#{socket_path}`), so ppds talks to the right server.
        public var socket: String
        /// The tmux session (one per repository) and the window's and pane's ids (`@3`, `%5`).
        public var session: String
        public var window: String
        public var pane: String

        public init(socket: String, session: String, window: String, pane: String) {
            self.socket = socket
            self.session = session
            self.window = window
            self.pane = pane
        }
    }

    /// The agent's name (`claude`, a name from `[agents.NAME]`, or `exec` for `--exec`).
    public var name: String
    /// The command as started (argv).
    public var command: [String]
    /// The machine id the process runs on: liveness and signals only make sense there.
    public var machine: String?
    /// The supervising process, which leads the agent's process group.
    public var pid: Int32?
    /// `/proc/<pid>/stat`'s start time (clock ticks since boot) of `pid`, against pid reuse.
    public var pidStart: UInt64?
    public var started: Date
    public var tmux: TmuxPane?
    /// Where the agent's output is kept (the pane piped to a file, or `--exec`'s log).
    public var log: String?
    /// Set when the agent has exited: when, and its exit code or the signal that ended it.
    public var exited: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    /// Keys ppds does not know, kept through every rewrite.
    public var extra: [String: JSONValue]

    public init(name: String, command: [String], machine: String?, pid: Int32? = nil, pidStart: UInt64? = nil,
                started: Date, tmux: TmuxPane? = nil, log: String? = nil, exited: Date? = nil,
                exitCode: Int32? = nil, signal: Int32? = nil, extra: [String: JSONValue] = [:]) {
        self.name = name
        self.command = command
        self.machine = machine
        self.pid = pid
        self.pidStart = pidStart
        self.started = started
        self.tmux = tmux
        self.log = log
        self.exited = exited
        self.exitCode = exitCode
        self.signal = signal
        self.extra = extra
    }

    public static let sessionKey = "agentProcess"
    static let knownKeys: Set<String> = ["name", "command", "machine", "pid", "pidStart", "started", "tmux", "log", "exited", "exitCode", "signal"]

    public var json: JSONValue {
        var fields = extra
        fields["name"] = .string(name)
        fields["command"] = .array(command.map(JSONValue.string))
        fields["machine"] = machine.map(JSONValue.string) ?? .null
        fields["pid"] = pid.map { .int(Int64($0)) } ?? .null
        fields["pidStart"] = pidStart.map { .int(Int64(clamping: $0)) } ?? .null
        fields["started"] = .string(Timestamp.format(started))
        fields["tmux"] = tmux.map { pane in
            .object(["socket": .string(pane.socket), "session": .string(pane.session),
                     "window": .string(pane.window), "pane": .string(pane.pane)])
        } ?? .null
        fields["log"] = log.map(JSONValue.string) ?? .null
        fields["exited"] = exited.map { .string(Timestamp.format($0)) } ?? .null
        fields["exitCode"] = exitCode.map { .int(Int64($0)) } ?? .null
        fields["signal"] = signal.map { .int(Int64($0)) } ?? .null
        return .object(fields)
    }

    /// Reads the `agentProcess` key; `fail` names the file. Absent or null is no agent.
    static func read(_ value: JSONValue?, fail: (String) -> SessionFileError) throws(SessionFileError) -> AgentRecord? {
        guard let value, !value.isNull else { return nil }
        guard let fields = value.objectValue else { throw fail("'agentProcess' is \(value.kindDescription), neither null nor an object") }
        func text(_ key: String) throws(SessionFileError) -> String? {
            guard let value = fields[key], !value.isNull else { return nil }
            guard let text = value.stringValue, text.utf8.count <= 4096 else { throw fail("'agentProcess.\(key)' is not a string of at most 4096 bytes") }
            return text
        }
        func number(_ key: String, in range: ClosedRange<Int64>) throws(SessionFileError) -> Int64? {
            guard let value = fields[key], !value.isNull else { return nil }
            guard case .int(let number) = value, range.contains(number) else {
                throw fail("'agentProcess.\(key)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func date(_ key: String) throws(SessionFileError) -> Date? {
            guard let text = try text(key) else { return nil }
            guard let date = Timestamp.parse(text) else { throw fail("'agentProcess.\(key)' is not an ISO-8601 time: \(Session.quote(text))") }
            return date
        }
        guard let name = try text("name"), !name.isEmpty else { throw fail("'agentProcess.name' is missing or empty") }
        guard let commandValue = fields["command"]?.arrayValue, commandValue.count <= 1024 else {
            throw fail("'agentProcess.command' is missing or not a list of at most 1024 strings")
        }
        var command: [String] = []
        for item in commandValue {
            guard let word = item.stringValue else { throw fail("'agentProcess.command' holds \(item.kindDescription), not a string") }
            command.append(word)
        }
        guard let started = try date("started") else { throw fail("'agentProcess.started' is missing") }
        var tmux: TmuxPane?
        if let paneValue = fields["tmux"], !paneValue.isNull {
            guard let pane = paneValue.objectValue,
                  let socket = pane["socket"]?.stringValue, let session = pane["session"]?.stringValue,
                  let window = pane["window"]?.stringValue, let paneID = pane["pane"]?.stringValue else {
                throw fail("'agentProcess.tmux' is not an object with the strings socket, session, window and pane")
            }
            tmux = TmuxPane(socket: socket, session: session, window: window, pane: paneID)
        }
        return AgentRecord(
            name: name, command: command, machine: try text("machine"),
            pid: try number("pid", in: 1...Int64(Int32.max)).map { Int32($0) },
            pidStart: try number("pidStart", in: 0...Int64.max).map { UInt64($0) },
            started: started, tmux: tmux, log: try text("log"), exited: try date("exited"),
            exitCode: try number("exitCode", in: -255...255).map { Int32($0) },
            signal: try number("signal", in: 1...128).map { Int32($0) },
            extra: fields.filter { !knownKeys.contains($0.key) })
    }
}

/// A session's block of TCP ports (`ports`): `first` … `first + count - 1`, unique among this
/// machine's live sessions. Given to hooks, `--exec` and spawned agents as `PPDS_PORT` (the first).
public struct PortBlock: Sendable, Equatable, Hashable {
    public var first: Int
    public var count: Int

    public init(first: Int, count: Int) {
        self.first = first
        self.count = count
    }

    public var range: ClosedRange<Int> { first...(first + count - 1) }

    public static let sessionKey = "ports"

    public var json: JSONValue { .object(["first": .int(Int64(first)), "count": .int(Int64(count))]) }

    static func read(_ value: JSONValue?, fail: (String) -> SessionFileError) throws(SessionFileError) -> PortBlock? {
        guard let value, !value.isNull else { return nil }
        guard let fields = value.objectValue, case .int(let first)? = fields["first"], case .int(let count)? = fields["count"],
              (1...65535).contains(first), (1...1024).contains(count), first + count - 1 <= 65535 else {
            throw fail("'ports' is not an object {\"first\": 1–65535, \"count\": 1–1024} within 65535")
        }
        return PortBlock(first: Int(first), count: Int(count))
    }
}
