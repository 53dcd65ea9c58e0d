import ArgumentParser
import Foundation
import Agents
import Lifecycle
import LifecycleCore
import SessionKit
import Support

/// The session a reach command names, loaded (scoped as every verb on one session is).
private func loadSession(_ issue: IssueNumber, repo: RepoOption) throws(PPDSError) -> (Session, SessionStore) {
    let (store, _, issue) = try CLI.target(issue, repo: repo)
    return (try PPDSError.wrapping { try store.load(issue) }, store)
}

struct AttachCommand: JSONCommand, NamedSessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Go to a worker's tmux window: switch to it inside ppds's tmux, else attach to it.")

    @OptionGroup var target: SessionTarget
    @Flag(help: "Print the tmux command instead of running it.") var print = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (session, store) = try loadSession(issue, repo: repo)
        let (tmux, pane) = try AgentReach.livePane(of: session, home: store.home)
        let how = AgentReach.attach(tmux: tmux, pane: pane, callerTMUX: ProcessInfo.processInfo.environment["TMUX"])
        if print || json {
            if json {
                var out = OrderedJSON()
                out["issue"] = .string(issue.tag)
                out["how"] = .string({ if case .switchClient = how { "switch-client" } else { "attach" } }())
                out["argv"] = .array(how.argv.map(JSONValue.string))
                CLI.printJSON(out)
            } else {
                Swift.print(how.argv.map { TerminalText.escaped($0) }.joined(separator: " "))
            }
            return
        }
        // Both by exec: switch-client needs the caller's TMUX (its client); attach needs the terminal.
        if case .attach = how, ProcessInfo.processInfo.environment["TMUX"] != nil {
            CLI.printError("note: attaching inside another tmux (nested); detach with the prefix key, then d")
            unsetenv("TMUX")
        }
        let argv = how.argv
        let cArguments = argv.map { strdup($0) } + [nil]
        execv(argv[0], cArguments)
        throw PPDSError.failed("cannot run \(argv[0]): \(String(cString: strerror(errno)))")
    }
}

struct LogsCommand: PPDSCommand, NamedSessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "What a worker printed: its live tmux pane, else its log file ($PPDS_HOME/logs); escaped for the terminal unless --raw.")

    @OptionGroup var target: SessionTarget
    @Flag(name: .shortAndLong, help: "Follow the log file as it grows (Ctrl-C ends).") var follow = false
    @Option(help: "How many of the last lines to show.") var lines: Int = 200
    @Flag(help: "The log of 'start-work --exec' rather than the agent's.") var exec = false
    @Flag(help: "Print the bytes as they are (terminal control sequences included).") var raw = false

    func validate() throws {
        guard (0...1_000_000).contains(lines) else { throw ValidationError("--lines must be between 0 and 1000000") }
    }

    func execute() throws {
        let (session, store) = try loadSession(issue, repo: repo)
        if follow {
            let file = exec ? AgentReach.execLog(session, home: store.home) : AgentReach.agentLog(session, home: store.home)
            try follow(file)
            return
        }
        let (_, text) = try AgentReach.logs(session, home: store.home, lines: lines, exec: exec)
        emit(text)
    }

    func emit(_ text: String) {
        if raw {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let body = lines.map { TerminalText.escaped(String($0)) }.joined(separator: "\n")
            FileHandle.standardOutput.write(Data(body.utf8))
        }
    }

    /// The last `lines` lines, then what is appended, until interrupted.
    func follow(_ file: String) throws {
        let fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw PPDSError.notFound("\(file): \(String(cString: strerror(errno))); 'ppds spawn \(issue.value)' starts an agent whose output is kept") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & S_IFMT == S_IFREG else {
            throw PPDSError.refused("\(file) is not your own regular file")
        }
        // The tail first: at most the last 4 MiB are read to find it.
        let start = max(0, Int(info.st_size) - (4 << 20))
        lseek(fd, off_t(start), SEEK_SET)
        emit(AgentReach.lastLines(String(decoding: FileDescriptor.readToEnd(fd), as: UTF8.self), lines))
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending = Data()
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                pending.append(contentsOf: buffer[0..<count])
                // Whole lines only, so an escape is never cut in two.
                if let newline = pending.lastIndex(of: 0x0A) {
                    emit(String(decoding: pending[...newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            } else {
                usleep(200_000)
            }
        }
    }
}

struct SendCommand: PPDSCommand, NamedSessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Type text into a worker's agent (its tmux pane), then Enter: for agents without hooks.")

    @OptionGroup var target: SessionTarget
    @Argument(help: "The text, typed literally (no key names, no shell).") var text: String
    @Flag(name: .customLong("no-enter"), help: "Do not press Enter after the text.") var noEnter = false

    func validate() throws {
        if text.contains("\0") { throw ValidationError("the text holds a NUL character") }
    }

    func execute() throws {
        let (session, store) = try loadSession(issue, repo: repo)
        let (tmux, pane) = try AgentReach.livePane(of: session, home: store.home)
        try tmux.sendLiteral(pane.pane, text: text, enter: !noEnter)
        print("\(issue.tag): sent \(text.count) character\(text.count == 1 ? "" : "s")\(noEnter ? "" : " and Enter") to \(session.agent?.name ?? "the agent")")
    }
}

struct StopCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "End a worker's agent: SIGTERM to its process group, SIGKILL after the grace period; its window closes.")

    @Argument(help: "The issues (456, #456 or work-456).") var issues: [IssueNumber] = []
    @OptionGroup var repo: RepoOption
    @Option(help: "Seconds between SIGTERM and SIGKILL.") var grace: Double = AgentStop.defaultGrace
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if issues.isEmpty { throw ValidationError("give the issues whose agents to stop") }
        guard (0...600).contains(grace) else { throw ValidationError("--grace must be between 0 and 600 seconds") }
    }

    func execute() throws {
        var reports: [AgentStop.Report] = []
        for issue in issues {
            let (store, _, issue) = try CLI.target(issue, repo: repo)
            reports.append(try AgentStop.stop(issue, store: store, grace: grace))
        }
        if json {
            CLI.printJSON(OrderedJSON.document("results", .array(reports.map(\.json))))
            return
        }
        for report in reports {
            let agent = report.agent ?? "agent"
            switch report.outcome {
            case .terminated: print("\(report.issue.tag): \(agent) (pid \(report.pid ?? 0)) ended on SIGTERM")
            case .killed: print("\(report.issue.tag): \(agent) (pid \(report.pid ?? 0)) did not end on SIGTERM within \(HumanDuration.describe(grace)); killed (SIGKILL)")
            case .notRunning: print("\(report.issue.tag): no agent running")
            case .gone: print("\(report.issue.tag): \(agent) (pid \(report.pid ?? 0)) was already gone; recorded as exited")
            }
        }
    }
}
