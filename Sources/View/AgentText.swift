import Foundation
import Agents
import Lifecycle
import SessionKit
import Support

/// A session's agent in words and JSON, the same in status, show, watch and the dashboard.
public enum AgentText {
    /// "running (pid 4242, 12 min, busy)", "exited 3 min ago (exit code 1)", … ; nil when there
    /// is no agent. Plain text: the machine's label is escaped where it is printed.
    public static func describe(_ liveness: AgentLiveness, now: Date) -> String? {
        switch liveness {
        case .none:
            return nil
        case .running(let pid, let since, let activity):
            return "running (pid \(pid), for \(HumanDuration.describe(max(0, now.timeIntervalSince(since)))), \(words(activity)))"
        case .exited(let at, let code, let signal):
            return "exited \(HumanDuration.describe(max(0, now.timeIntervalSince(at)))) ago" + how(code: code, signal: signal)
        case .gone(let pid):
            return "ended without a trace" + (pid.map { " (pid \($0) is gone)" } ?? "")
        case .elsewhere(let machine, let asOf):
            return "on \(machine) as of the last update (\(HumanDuration.describe(max(0, now.timeIntervalSince(asOf)))) ago)"
        }
    }

    /// "agent exited 3 min ago (killed by signal 9)", for the problem.
    public static func ended(_ end: Problem.AgentEnd) -> String {
        guard let ago = end.ago else { return "agent ended without a trace" + (end.pid.map { " (pid \($0) is gone)" } ?? "") }
        return "agent exited \(HumanDuration.describe(ago)) ago" + how(code: end.exitCode, signal: end.signal)
    }

    public static func words(_ activity: AgentActivity) -> String {
        switch activity {
        case .busy: "busy"
        case .idle: "idle"
        case .waitingForInput: "waiting for input"
        }
    }

    static func how(code: Int32?, signal: Int32?) -> String {
        if let signal { return " (killed by signal \(signal)\(signalName(signal).map { ", SIG\($0)" } ?? ""))" }
        if let code { return " (exit code \(code))" }
        return ""
    }

    static func signalName(_ signal: Int32) -> String? {
        [1: "HUP", 2: "INT", 3: "QUIT", 6: "ABRT", 9: "KILL", 11: "SEGV", 13: "PIPE", 15: "TERM"][signal]
    }

    /// The JSON's `agentLiveness` (a key of each session in status, show and the dashboard).
    public static func json(_ liveness: AgentLiveness) -> JSONValue {
        var fields: [String: JSONValue] = ["state": .string(liveness.state)]
        switch liveness {
        case .none: break
        case .running(let pid, let since, let activity):
            fields["pid"] = .int(Int64(pid))
            fields["since"] = .string(Timestamp.format(since))
            fields["activity"] = .string(activity.rawValue)
        case .exited(let at, let code, let signal):
            fields["at"] = .string(Timestamp.format(at))
            fields["exitCode"] = code.map { .int(Int64($0)) } ?? .null
            fields["signal"] = signal.map { .int(Int64($0)) } ?? .null
        case .gone(let pid):
            fields["pid"] = pid.map { .int(Int64($0)) } ?? .null
        case .elsewhere(let machine, let asOf):
            fields["machine"] = .string(machine)
            fields["asOf"] = .string(Timestamp.format(asOf))
        }
        // No words with durations here: a view that pushes changes (serve) would see one every minute.
        return .object(fields)
    }
}
