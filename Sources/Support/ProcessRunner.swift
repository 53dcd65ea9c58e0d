import CSpawn
#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// A command from the config: an argument vector (an array), or a shell line (a string),
/// which the user's own config asks to run through `/bin/sh -c`.
public enum CommandSpec: Equatable, Sendable {
    case argv([String])
    case shell(String)

    public var display: String {
        switch self {
        case .argv(let argv): argv.joined(separator: " ")
        case .shell(let line): line
        }
    }
}

/// Runs external programs (gh, hooks, the worker spawn) by argument vector. A shell is used
/// only for a `CommandSpec.shell` line, which the user's own config asked for.
///
/// Each program starts in a process group of its own (`CSpawn`), so that a timeout ends it
/// together with everything it started: a grandchild holding the output pipe open can no
/// longer keep ppds waiting. swift-subprocess does this too, but only through an async API,
/// and these callers are synchronous lifecycle functions, some on worker threads.
public enum ProcessRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// The program ran past its time and was stopped (with everything it started).
        public let timedOut: Bool
        public let timeout: TimeInterval
        /// The program printed more than the caller's `outputLimit` and was stopped (with
        /// everything it started); what it printed is cut at the limit.
        public var overflowed: Bool = false
        public var outputLimit: Int = .max

        /// "exit 3", "killed by signal 9", "timed out after 30 s" or "printed more than N bytes".
        public var summary: String {
            if overflowed { return "printed more than \(outputLimit) bytes" }
            if timedOut { return "timed out after \(HumanDuration.describe(timeout))" }
            return status >= 0 ? "exit \(status)" : "killed by signal \(-status)"
        }
    }

    /// Seconds between SIGTERM to a timed-out program's group and SIGKILL.
    public static let killGrace: TimeInterval = 2

    /// The absolute path of `program`, searched on PATH like a shell would (without one).
    public static func find(_ program: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static func argv(for command: CommandSpec) -> [String] {
        switch command {
        case .argv(let argv): argv
        case .shell(let line): ["/bin/sh", "-c", line]
        }
    }

    /// Starts `argv` with output on the given descriptors (-1: /dev/null); returns its pid.
    /// A program that exits before reading all its input must not kill ppds with SIGPIPE:
    /// the write fails with EPIPE instead.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func start(_ argv: [String], in directory: String?, environment: [String: String], inheriting: Bool = true,
                      stdin: Int32 = -1, stdout: Int32, stderr: Int32) throws(PPDSError) -> pid_t {
        _ = ignoreBrokenPipes
        var env = inheriting ? ProcessInfo.processInfo.environment : [:]
        // A fault meant for this ppds must not reach hooks or workers (which may run ppds too);
        // one the caller sets on purpose (the tests) does.
        env.removeValue(forKey: FaultInjection.variable)
        for (key, value) in environment { env[key] = value }
        guard let first = argv.first, let executable = find(first, environment: env) else {
            throw PPDSError.failed("'\(argv.first ?? "")' was not found on PATH")
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        var code = ppds_spawn(&pid, executable, cArguments, cEnvironment, directory, stdin, stdout, stderr)
        // "Text file busy": a program just written is still open in a child another thread is
        // starting; that child closes it in a moment.
        var tries = 0
        while code == ETXTBSY && tries < 20 {
            usleep(50_000)
            tries += 1
            code = ppds_spawn(&pid, executable, cArguments, cEnvironment, directory, stdin, stdout, stderr)
        }
        guard code == 0 else { throw PPDSError.failed("cannot run \(argv[0]): \(String(cString: strerror(code)))") }
        return pid
    }

    /// Runs and waits, capturing output (`input`, if any, is its standard input). After
    /// `timeout` seconds the program's whole process group gets SIGTERM, then SIGKILL after
    /// `killGrace`, and the result says it timed out.
    /// `inheriting: false` gives the program exactly `environment`, nothing of ppds's own.
    /// `outputLimit` bounds what is kept of stdout and stderr together: a program that prints
    /// more is stopped like a timed-out one (an endless printer cannot exhaust memory).
    public static func run(_ argv: [String], in directory: String? = nil, environment: [String: String] = [:], inheriting: Bool = true,
                           input: Data? = nil, timeout: TimeInterval = 600, outputLimit: Int = .max) throws(PPDSError) -> Output {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        if input != nil {
            guard ppds_pipe_cloexec(&inPipe) == 0 else { throw PPDSError.io("cannot make a pipe: \(String(cString: strerror(errno)))") }
        }
        guard ppds_pipe_cloexec(&outPipe) == 0, ppds_pipe_cloexec(&errPipe) == 0 else {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw PPDSError.io("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do {
            pid = try start(argv, in: directory, environment: environment, inheriting: inheriting,
                            stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw error
        }
        close(outPipe[1]); close(errPipe[1])
        if let input {
            close(inPipe[0])
            // Written on its own thread, so a program that answers before reading all of it
            // cannot block both sides on full pipes.
            let writeEnd = inPipe[1]
            Threads.detach {
                _ = FileDescriptor.writeAll(writeEnd, input)
                close(writeEnd)
            }
        }
        defer { close(outPipe[0]); close(errPipe[0]) }

        let deadline = Date().addingTimeInterval(timeout)
        var killedAt: Date?
        var timedOut = false
        var overflowed = false
        var outData = Data(), errData = Data()
        var open: [Int32] = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let now = Date()
            if killedAt == nil && (now >= deadline || overflowed) {
                timedOut = !overflowed
                kill(-pid, SIGTERM)
                killedAt = now
            } else if let killedAt, now >= killedAt.addingTimeInterval(killGrace) {
                kill(-pid, SIGKILL)
                // A process that left the group may still hold the pipes: stop waiting for them.
                if now >= killedAt.addingTimeInterval(killGrace + 1) { break }
            }
            var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wait = killedAt != nil ? 100 : Int32(max(1, min(1000, deadline.timeIntervalSince(now) * 1000)))
            let ready = poll(&polls, nfds_t(polls.count), wait)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            for poll in polls where poll.revents != 0 {
                let count = read(poll.fd, &buffer, buffer.count)
                if count > 0 {
                    // Past the limit nothing more is kept; the group is stopped on the next turn.
                    let room = max(0, outputLimit - outData.count - errData.count)
                    if count > room { overflowed = true }
                    let kept = min(count, room)
                    if poll.fd == outPipe[0] { outData.append(contentsOf: buffer[0..<kept]) } else { errData.append(contentsOf: buffer[0..<kept]) }
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == poll.fd }
                }
            }
        }
        let status = waitForExit(pid, killIfPast: killedAt)
        var output = Output(status: status, stdout: String(decoding: outData, as: UTF8.self),
                            stderr: String(decoding: errData, as: UTF8.self), timedOut: timedOut, timeout: timeout)
        output.overflowed = overflowed
        output.outputLimit = outputLimit
        return output
    }

    /// The exit status, or minus the signal that ended it.
    private static func waitForExit(_ pid: pid_t, killIfPast killedAt: Date?) -> Int32 {
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, killedAt == nil ? 0 : WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { return -1 }
            if done == 0 {
                kill(-pid, SIGKILL)
                usleep(10_000)
            }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : -signal
    }

    /// Starts a program without waiting for it (a worker session); its output goes to `log`.
    public static func spawn(_ argv: [String], in directory: String?, environment: [String: String], log: String) throws(PPDSError) -> Int32 {
        // Under $PPDS_HOME: never through a symlink or a hard link a stranger left there.
        let fd: Int32
        do {
            fd = try PrivateFile.openForWriting(log, truncate: true)
        } catch {
            throw PPDSError.refused("cannot write the log \(log): \(error.message)")
        }
        defer { close(fd) }
        return try start(argv, in: directory, environment: environment, stdout: fd, stderr: fd)
    }

    /// Waits up to `seconds` for a spawned child: its exit status (minus the signal), or nil
    /// while it still runs (it is then left to run; nothing reaps it later).
    public static func exitStatus(of pid: pid_t, within seconds: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : -signal
            }
            if done < 0 && errno != EINTR { return nil }
            if Date() >= deadline { return nil }
            usleep(20_000)
        }
    }
}

/// Line-buffered stdout for the CLI: see `ppds_line_buffer_stdout`.
public func lineBufferStandardOutput() { ppds_line_buffer_stdout() }

/// Whether everything written to stdout got out (a line-buffered write fails at print time, so
/// a later fflush alone cannot tell).
public func standardOutputWasWritten() -> Bool { ppds_stdout_ok() != 0 }

/// For a full-screen view: the cursor is shown again on Ctrl-C, SIGTERM or SIGHUP, then exit.
public func restoreCursorOnSignals() { ppds_restore_cursor_on_signals() }

/// On Ctrl-C: `message` on stderr, then exit 130 (a plain handler: it works whatever thread the
/// signal lands on). Nil restores the default.
public func sayOnInterrupt(_ message: String?) {
    if let message { message.withCString { ppds_on_interrupt_say($0) } } else { ppds_on_interrupt_say(nil) }
}
