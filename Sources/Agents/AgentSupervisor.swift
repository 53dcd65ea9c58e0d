import Foundation
import LifecycleCore
import SessionKit
import Support

/// `ppds agent-run`: the first process of a worker's tmux pane. It records the session's
/// `agentProcess` (its own pid, which leads the pane's process group, with its start time; the
/// pane; the log), keeps the pane's output in the log, runs the agent as its child in the
/// foreground (same process group and terminal, so an interactive agent works), and records how
/// the agent ended: its exit code, or the signal (`kill -9` included).
public enum AgentSupervisor {
    /// Ignored from the start: Ctrl-C and Ctrl-\ reach the agent in the same foreground group, as
    /// with a shell. SIGTERM and SIGHUP are passed on to the agent (a closed pane or a killed tmux
    /// server signals only the pane's first process), also one that comes before the agent has
    /// started: the supervisor stays to record how the agent ended.
    static let ignoredWhileWaiting: [Int32] = [SIGINT, SIGQUIT]

    /// Runs the agent; returns the exit status for the supervisor itself (the agent's, or 128 +
    /// its signal). `say` prints a line in the pane.
    public static func run(_ launch: AgentLaunch, environment: [String: String] = ProcessInfo.processInfo.environment,
                           say: (String) -> Void) throws(PPDSError) -> Int32 {
        let store = SessionStore(home: launch.home).scoped(to: launch.repoRoot)
        let session: Session
        do { session = try store.load(launch.issue) } catch { throw PPDSError.from(error) }
        let pane = currentPane(environment: environment)
        if let pane {
            keepOutput(of: pane, in: launch.log, home: launch.home, say: say)
        }
        let me = getpid()
        let record = AgentRecord(name: launch.agent, command: launch.argv, machine: (try? Machine.current(home: launch.home))?.id,
                                 pid: me, pidStart: ProcessTable.startTime(of: me), started: Date(),
                                 tmux: pane.map { AgentRecord.TmuxPane(socket: $0.socket, session: $0.session, window: $0.window, pane: $0.pane) },
                                 log: launch.log, extra: [AgentRecord.hooksKey: .string(launch.hooks.rawValue)])
        do {
            try store.modify(launch.issue) { current in
                // Under the session's lock: a supervisor that came second (a spawn that gave up
                // waiting, a launch file run twice) never runs an agent beside a live one.
                if let other = current.agent, other.pid != me, case .running(let pid, _, _) = AgentLiveness.observe(current, machineID: record.machine, samples: nil),
                   AgentStop.isSupervisor(pid) {
                    throw PPDSError.conflict("\(launch.issue.tag)'s agent \(other.name) already runs (pid \(pid)); this one is not started")
                }
                if let other = current.agent, other.pid != me, let group = AgentStop.orphanGroup(other) {
                    throw PPDSError.conflict("\(launch.issue.tag)'s agent \(other.name) still runs (process group \(group)); this one is not started")
                }
                var next = current
                next.agent = record
                return next
            }
        } catch {
            throw PPDSError.from(error)
        }

        var childEnvironment = environment
        for (key, value) in Hooks.environment(for: session) { childEnvironment[key] = value }
        childEnvironment["PPDS_HOME"] = launch.home
        if let path = launch.path { childEnvironment["PATH"] = path }
        childEnvironment.removeValue(forKey: FaultInjection.variable)

        for number in ignoredWhileWaiting { signal(number, SIG_IGN) }
        ProcessRunner.keepHangupAndTerminateForTheAgent()
        var input: [Int32] = [-1, -1]
        if launch.delivery == .stdin, launch.prompt != nil {
            guard pipe(&input) == 0 else { throw PPDSError.io("cannot make a pipe: \(String(cString: strerror(errno)))") }
            _ = fcntl(input[1], F_SETFD, FD_CLOEXEC)
        }
        let outcome: (exitCode: Int32?, signal: Int32?)
        do {
            let child = try ProcessRunner.startForeground(launch.argv, in: session.worktree, environment: childEnvironment, stdin: input[0])
            ProcessRunner.forwardHangupAndTerminate(to: child)
            if input[0] >= 0 {
                close(input[0])
                let writeEnd = input[1], prompt = Data((launch.prompt ?? "").utf8)
                Thread.detachNewThread {
                    _ = FileDescriptor.writeAll(writeEnd, prompt)
                    close(writeEnd)
                }
            }
            outcome = wait(for: child)
        } catch {
            say("ppds: \(error.message)")
            // As a shell says a command it cannot run: 127.
            outcome = (127, nil)
        }
        let exited = Date()
        _ = try? store.modify(launch.issue) { current in
            // Only this supervisor's own record: a newer spawn's is left alone.
            guard var agent = current.agent, agent.pid == record.pid, agent.pidStart == record.pidStart else { return current }
            agent.exited = exited
            agent.exitCode = outcome.exitCode
            agent.signal = outcome.signal
            var next = current
            next.agent = agent
            return next
        }
        if let code = outcome.exitCode {
            say("ppds: the agent exited with status \(code)")
            return code
        }
        let number = outcome.signal ?? 0
        say("ppds: the agent was ended by signal \(number)")
        return 128 + number
    }

    /// Waits for the agent, through interruptions; its exit code or the signal that ended it.
    static func wait(for child: pid_t) -> (exitCode: Int32?, signal: Int32?) {
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            if errno != EINTR { return (nil, nil) }
        }
        let signal = status & 0x7f
        return signal == 0 ? ((status >> 8) & 0xff, nil) : (nil, signal)
    }

    /// The pane this process runs in, from tmux's `TMUX` (socket,pid,session) and `TMUX_PANE`.
    static func currentPane(environment: [String: String]) -> Tmux.NewPane? {
        guard let tmux = environment["TMUX"], let socket = tmux.split(separator: ",").first.map(String.init),
              let pane = environment["TMUX_PANE"], Tmux.isID(pane, sigil: "%"),
              let client = try? Tmux.recorded(socket: socket, environment: environment),
              let line = try? client.run(["display-message", "-p", "-t", pane, "#{session_name}\t#{window_id}"]) else { return nil }
        let fields = line.trimmingCharacters(in: .newlines).components(separatedBy: "\t")
        guard fields.count == 2 else { return nil }
        return Tmux.NewPane(socket: socket, session: fields[0], window: fields[1], pane: pane, pid: getpid())
    }

    /// The pane's output, appended to the log (made private first: `pipe-pane`'s shell opens it).
    static func keepOutput(of pane: Tmux.NewPane, in log: String, home: String, say: (String) -> Void) {
        do {
            try PrivateFile.ensureFolder((log as NSString).deletingLastPathComponent, home: home)
            close(try PrivateFile.openForWriting(log, append: true))
            try Tmux.recorded(socket: pane.socket).pipePane(pane.pane, to: log)
        } catch let error as FileSystemError {
            say("ppds: the agent's output is not kept: \(error.path): \(error.message)")
        } catch {
            say("ppds: the agent's output is not kept: \(PPDSError.from(error).message)")
        }
    }
}
