#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One process as `/proc/<pid>/stat` describes it (Linux).
public struct ProcessStat: Sendable, Equatable {
    public var pid: Int32
    /// `R` running, `S` sleeping, `D` waiting on disk, `Z` zombie, …
    public var state: Character
    public var parent: Int32
    public var group: Int32
    /// The session id (field 6): the pid of the session's leader (tmux makes each pane's first
    /// process one).
    public var session: Int32 = 0
    /// CPU time in clock ticks, user and system.
    public var cpuTicks: UInt64
    /// Field 22: when it started, in clock ticks since boot. With the pid, it names one process.
    public var startTime: UInt64
    /// The owner (`/proc/<pid>`'s uid); nil when not read.
    public var uid: UInt32?

    public init(pid: Int32, state: Character, parent: Int32, group: Int32, cpuTicks: UInt64, startTime: UInt64, uid: UInt32? = nil) {
        self.pid = pid
        self.state = state
        self.parent = parent
        self.group = group
        self.cpuTicks = cpuTicks
        self.startTime = startTime
        self.uid = uid
    }

    /// Parses a stat line. The command (field 2) is in parentheses and may hold anything, so
    /// the fields are counted from the last `)`.
    public static func parse(_ text: String) -> ProcessStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"),
              let pid = Int32(text[..<open].trimmingWhitespace()) else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state); field N is fields[N - 3].
        guard fields.count > 19, let state = fields[0].first, let parent = Int32(fields[1]), let group = Int32(fields[2]),
              let user = UInt64(fields[11]), let system = UInt64(fields[12]), let start = UInt64(fields[19]) else { return nil }
        var stat = ProcessStat(pid: pid, state: state, parent: parent, group: group, cpuTicks: user &+ system, startTime: start)
        stat.session = Int32(fields[3]) ?? 0
        return stat
    }
}

/// A small reader of `/proc`: the facts liveness and removal decisions need, nothing else.
public enum ProcessTable {
    /// Clock ticks per second (`/proc` counts CPU and start times in them).
    public static let ticksPerSecond: Double = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? Double(value) : 100
    }()

    /// The process with this pid now, with its owner; nil when there is none (or /proc is absent).
    public static func stat(_ pid: Int32) -> ProcessStat? {
        guard pid > 0, let data = small("/proc/\(pid)/stat"),
              var stat = ProcessStat.parse(String(decoding: data, as: UTF8.self)) else { return nil }
        var info = Glibc.stat()
        // lstat: the name `stat` is this type's method here; /proc/<pid> is no link anyway.
        if lstat("/proc/\(pid)", &info) == 0 { stat.uid = info.st_uid }
        return stat
    }

    /// Every pid /proc lists now.
    public static func pids() -> [Int32] {
        (ProcessPlaces.entries("/proc") ?? []).compactMap(Int32.init)
    }

    /// The first 4 KiB of a small file (a /proc entry), with one read; nil when unreadable.
    static func small(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    /// The processes of one process group (the agent's supervisor leads it).
    public static func group(_ group: Int32) -> [ProcessStat] {
        pids().compactMap(stat).filter { $0.group == group }
    }

    /// The command line, words joined by spaces, at most `limit` bytes; the short name
    /// (`comm`) when the command line is empty or unreadable (kernel threads, zombies).
    public static func command(of pid: Int32, limit: Int = 200) -> String {
        if let data = small("/proc/\(pid)/cmdline"), !data.isEmpty {
            let words = data.prefix(limit).split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            return words.joined(separator: " ").trimmingWhitespace()
        }
        if let data = small("/proc/\(pid)/comm") {
            return String(decoding: data.prefix(limit), as: UTF8.self).trimmingWhitespaceAndNewlines()
        }
        return "?"
    }

    /// The command line's words (at most the first 4 KiB); nil when unreadable or empty.
    public static func arguments(of pid: Int32) -> [String]? {
        guard pid > 0, let data = small("/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        var words = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if words.last == "" { words.removeLast() }
        return words
    }

    /// The start time of `pid` (`/proc/<pid>/stat` field 22), nil when there is no such process.
    public static func startTime(of pid: Int32) -> UInt64? { stat(pid)?.startTime }

    /// Whether any process of the group `pgid` is left, zombies aside: a supervisor that has
    /// exited stays a zombie until tmux reaps it, which can take a second or more.
    public static func groupAlive(_ pgid: Int32) -> Bool {
        guard kill(-pgid, 0) == 0 || errno == EPERM else { return false }
        return pids().contains { pid in
            guard let process = stat(pid) else { return false }
            return process.group == pgid && process.state != "Z"
        }
    }
}
