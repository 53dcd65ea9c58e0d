import Foundation
import LifecycleCore
import SessionKit
import Support

/// `ppds stop`, and the first step of `cancel` and `prune`: ends a session's agent.
public enum AgentStop {
    public enum Outcome: String, Sendable {
        /// It ended on SIGTERM (within the grace period).
        case terminated
        /// It was still there after the grace period: SIGKILL.
        case killed
        /// Nothing was running (no agent, or it had exited).
        case notRunning
        /// The record said running but its process was gone: recorded as exited now.
        case gone
    }

    public struct Report: Sendable {
        public var issue: IssueNumber
        public var outcome: Outcome
        public var pid: Int32?
        public var agent: String?

        public var json: JSONValue {
            .object(["issue": .int(Int64(issue.value)), "outcome": .string(outcome.rawValue),
                     "pid": pid.map { .int(Int64($0)) } ?? .null, "agent": agent.map(JSONValue.string) ?? .null])
        }
    }

    /// Seconds between SIGTERM and SIGKILL.
    public static let defaultGrace: TimeInterval = 5

    /// SIGTERM to the recorded process group (after checking pid, start time and owner), SIGKILL
    /// after `grace`, the tmux window closed, and the exit recorded when the supervisor could not.
    public static func stop(_ issue: IssueNumber, store: SessionStore, grace: TimeInterval = defaultGrace) throws(PPDSError) -> Report {
        let session = try PPDSError.wrapping { try store.load(issue) }
        let machine = (try? Machine.current(home: store.home))?.id
        let record = session.agent
        var report = Report(issue: issue, outcome: .notRunning, pid: record?.pid, agent: record?.name)
        switch AgentLiveness.observe(session, machineID: machine, samples: nil) {
        case .none, .exited:
            return report
        case .elsewhere(let other, _):
            throw PPDSError.refused("\(issue.tag)'s agent runs on machine \(other); stop it there ('ppds stop \(issue.value)' on that machine)")
        case .gone:
            // A supervisor killed with -9 can leave its agent running in its group (one that
            // ignores the SIGHUP of its terminal's end): those are ended like a running agent.
            guard let orphans = orphanGroup(record!) else {
                report.outcome = .gone
                markExited(issue, store: store, record: record!, signal: nil)
                closeWindow(record!)
                return report
            }
            report.outcome = end(group: orphans, grace: grace)
        case .running(let pid, _, _):
            // The session file is the user's to edit: a record naming another live process (their
            // shell, pid 1) is no supervisor of ours, and is never signalled. Its agent is gone.
            guard isSupervisor(pid) else {
                report.outcome = .gone
                markExited(issue, store: store, record: record!, signal: nil)
                return report
            }
            report.outcome = end(group: pid, grace: grace)
        }
        closeWindow(record!)
        markExited(issue, store: store, record: record!, signal: report.outcome == .killed ? SIGKILL : SIGTERM)
        return report
    }

    /// SIGTERM to the group and every descendant, SIGKILL after `grace`. The members are taken
    /// now: once the supervisor is gone its children are re-parented, and a child in a group of
    /// its own (`timeout`, a shell with job control) would outlive a signal to the group alone.
    static func end(group: Int32, grace: TimeInterval) -> Outcome {
        let members = treeMembers(of: group)
        signal(SIGTERM, group: group, members)
        if waitGone(group, members, seconds: grace) { return .terminated }
        signal(SIGKILL, group: group, members)
        _ = waitGone(group, members, seconds: 2)
        return .killed
    }

    /// The processes `stop` would end for the session's agent: its verified supervisor's group
    /// and descendants, or its orphaned group. Prune does not count them as using the worktree,
    /// since it stops them before the move (and looks again after).
    public static func stoppable(_ session: Session, machineID: String?) -> Set<Int32> {
        guard let record = session.agent else { return [] }
        switch AgentLiveness.observe(session, machineID: machineID, samples: nil) {
        case .running(let pid, _, _):
            return isSupervisor(pid) ? Set(treeMembers(of: pid).map(\.pid)) : []
        case .gone:
            return orphanGroup(record).map { Set(treeMembers(of: $0).map(\.pid)) } ?? []
        case .none, .exited, .elsewhere:
            return []
        }
    }

    /// The recorded supervisor's process group when the supervisor is gone but processes of
    /// its group and terminal session live on: the agent, orphaned. Only then: a pid is not
    /// given out again while a group or session of that id exists, so these are its own.
    public static func orphanGroup(_ record: AgentRecord) -> Int32? {
        guard record.exited == nil, let pid = record.pid, pid > 1 else { return nil }
        if let leader = ProcessTable.stat(pid), leader.state != "Z" { return nil }
        let orphans = ProcessTable.group(pid).filter { $0.state != "Z" && $0.session == pid && $0.uid.map { $0 == getuid() } ?? false }
        return orphans.isEmpty ? nil : pid
    }

    /// The supervisor's group and descendants that are this user's and alive now.
    static func treeMembers(of supervisor: Int32) -> [ProcessStat] {
        AgentLiveness.processes(of: supervisor, in: ProcessTable.pids().compactMap(ProcessTable.stat))
            .filter { $0.uid == getuid() && $0.state != "Z" && $0.pid != getpid() }
    }

    /// Signals the group, and each member still the process it was (same start time).
    static func signal(_ number: Int32, group: Int32, _ members: [ProcessStat]) {
        kill(-group, number)
        for member in members where ProcessTable.startTime(of: member.pid) == member.startTime {
            kill(member.pid, number)
        }
    }

    static func waitGone(_ group: Int32, _ members: [ProcessStat], seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        func alive(_ member: ProcessStat) -> Bool {
            guard let now = ProcessTable.stat(member.pid) else { return false }
            return now.startTime == member.startTime && now.state != "Z"
        }
        while ProcessTable.groupAlive(group) || members.contains(where: alive) {
            if Date() >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// Whether `pid` is a `ppds agent-run` that leads its own process group (as tmux starts a
    /// pane's first process): the only process whose group `stop` may signal. Never pid 1 or
    /// below, where `kill(-pid, …)` would reach every process.
    static func isSupervisor(_ pid: Int32) -> Bool {
        guard pid > 1, let stat = ProcessTable.stat(pid), stat.group == pid,
              let words = ProcessTable.arguments(of: pid), words.count >= 2 else { return false }
        return words[1] == "agent-run"
    }

    /// Closes the recorded window only while its pane is still the recorded supervisor's: a
    /// record can be hand-edited, and a restarted tmux server gives the same window ids to
    /// other workers' windows.
    static func closeWindow(_ record: AgentRecord) {
        guard let pane = record.tmux, let pid = record.pid, Tmux.isID(pane.pane, sigil: "%"),
              let tmux = try? Tmux.recorded(socket: pane.socket),
              let shown = try? tmux.run(["display-message", "-p", "-t", pane.pane, "#{window_id} #{pane_pid}"]),
              shown.trimmingCharacters(in: .whitespacesAndNewlines) == "\(pane.window) \(pid)" else { return }
        try? tmux.killWindow(pane.window)
    }

    /// Records the exit when the supervisor did not (it was killed with the agent): only on the
    /// same record, and only when no exit is recorded yet.
    static func markExited(_ issue: IssueNumber, store: SessionStore, record: AgentRecord, signal: Int32?) {
        _ = try? store.modify(issue) { current in
            guard var agent = current.agent, agent.pid == record.pid, agent.pidStart == record.pidStart, agent.exited == nil else { return current }
            agent.exited = Date()
            agent.signal = signal
            var next = current
            next.agent = agent
            return next
        }
    }
}

extension AgentRecord {
    /// The record's extra key saying which agent hooks were written for it (`claude`, `none`).
    public static let hooksKey = "hooks"

    /// Whether the agent reads guidance through its hooks: its record says hooks were written,
    /// or (a record from before the key) it is `claude`. Without hooks, `guide` also types the
    /// guidance into its pane.
    public var hasHooks: Bool {
        if let kind = extra[Self.hooksKey]?.stringValue { return kind != "none" }
        return name == "claude"
    }
}
