import Foundation
import SessionKit
import Support
import WorkerSteps
#if canImport(Glibc)
import Glibc
#endif

/// Whether a session's agent is alive, as every view shows it. Computed when read (status,
/// show, watch, serve, doctor), never stored: a `kill -9` shows at the next refresh.
public enum AgentLiveness: Sendable, Equatable {
    /// No agent recorded (ppds did not start one).
    case none
    /// The supervisor runs with the recorded start time, as this user.
    case running(pid: Int32, since: Date, activity: AgentActivity)
    /// The supervisor recorded the agent's end: its exit code or the signal that ended it.
    case exited(at: Date, exitCode: Int32?, signal: Int32?)
    /// The process is gone (or its pid now names another process) and no end was recorded:
    /// it ended without a trace (killed with its supervisor, the machine rebooted).
    case gone(pid: Int32?)
    /// Recorded on another machine: nothing here can see it; `asOf` is the session's last update.
    case elsewhere(machine: String, asOf: Date)

    /// The JSON's `agentLiveness.state`.
    public var state: String {
        switch self {
        case .none: "none"
        case .running: "running"
        case .exited: "exited"
        case .gone: "gone"
        case .elsewhere: "elsewhere"
        }
    }

    /// The agent has ended (recorded or not).
    public var ended: Bool {
        switch self {
        case .exited, .gone: true
        default: false
        }
    }
}

/// What a running agent is doing.
public enum AgentActivity: String, Sendable, Equatable {
    /// Its process group used CPU lately.
    case busy
    /// It used (next to) none.
    case idle
    /// Its hook says it waits for the human (Claude Code's permission or idle prompt).
    case waitingForInput
}

/// What the decision reads: the record, where it runs, and the live process's facts.
public struct AgentLivenessFacts: Sendable, Equatable {
    /// The process as /proc shows it now, when the recorded pid is alive.
    public struct Process: Sendable, Equatable {
        /// The pid names the recorded process: same start time, owned by this user, not a zombie.
        public var isRecordedProcess: Bool
        /// CPU ticks of its process group (the supervisor and the agent's processes).
        public var groupCPUTicks: UInt64
        /// A process of the group is running on a CPU right now (state R).
        public var anyRunning: Bool

        public init(isRecordedProcess: Bool, groupCPUTicks: UInt64, anyRunning: Bool) {
            self.isRecordedProcess = isRecordedProcess
            self.groupCPUTicks = groupCPUTicks
            self.anyRunning = anyRunning
        }
    }

    public var record: AgentRecord?
    /// The record names this machine (or no machine: written before machines were recorded).
    public var onThisMachine: Bool
    /// The machine's name for people, when the record is another machine's.
    public var machineLabel: String
    public var process: Process?
    /// The previous CPU sample of the same process (watch and serve keep one): ticks and when.
    public var previous: AgentCPUSample?
    public var now: Date
    /// The session's status was set by the agent's hook because it waits for input.
    public var waitingByHook: Bool
    public var lastUpdate: Date

    public init(record: AgentRecord?, onThisMachine: Bool, machineLabel: String = "", process: Process? = nil,
                previous: AgentCPUSample? = nil, now: Date, waitingByHook: Bool = false, lastUpdate: Date) {
        self.record = record
        self.onThisMachine = onThisMachine
        self.machineLabel = machineLabel
        self.process = process
        self.previous = previous
        self.now = now
        self.waitingByHook = waitingByHook
        self.lastUpdate = lastUpdate
    }
}

/// A CPU reading of an agent's process group.
public struct AgentCPUSample: Sendable, Equatable {
    public var ticks: UInt64
    public var at: Date

    public init(ticks: UInt64, at: Date) {
        self.ticks = ticks
        self.at = at
    }
}

extension AgentLiveness {
    /// Busy means the group used at least this share of one CPU since the previous sample.
    public static let busyShare = 0.05
    /// A sample younger than this is too short a window: the one before it is kept.
    public static let minimumWindow: TimeInterval = 1

    /// The decision. Pure: the same facts always give the same answer.
    public static func decide(_ facts: AgentLivenessFacts) -> AgentLiveness {
        guard let record = facts.record else { return .none }
        if let exited = record.exited { return .exited(at: exited, exitCode: record.exitCode, signal: record.signal) }
        guard facts.onThisMachine else { return .elsewhere(machine: facts.machineLabel, asOf: facts.lastUpdate) }
        guard let pid = record.pid, let process = facts.process, process.isRecordedProcess else { return .gone(pid: record.pid) }
        let activity: AgentActivity
        if facts.waitingByHook {
            activity = .waitingForInput
        } else if let previous = facts.previous, facts.now.timeIntervalSince(previous.at) >= minimumWindow,
                  process.groupCPUTicks >= previous.ticks {
            // CPU time used over the window between two reads (watch, serve).
            let used = Double(process.groupCPUTicks - previous.ticks) / ProcessTable.ticksPerSecond
            activity = used / facts.now.timeIntervalSince(previous.at) >= busyShare ? .busy : .idle
        } else {
            // A single read (status, show): whether any of its processes is on a CPU now.
            activity = process.anyRunning ? .busy : .idle
        }
        return .running(pid: pid, since: record.started, activity: activity)
    }

    /// Reads the facts for one session and decides. `machineID` is this machine's id (nil:
    /// unknown, every record counts as this machine's); `processes` a snapshot of /proc shared
    /// by the sessions of one view (read when nil).
    public static func observe(_ session: Session, machineID: String?, now: Date = Date(),
                               processes: [ProcessStat]? = nil, samples: AgentCPUSamples? = .shared) -> AgentLiveness {
        guard let record = session.agent else { return .none }
        let onThisMachine = record.machine == nil || machineID == nil || record.machine == machineID
        let label = session.machine.flatMap { $0.id == record.machine ? $0.label : nil } ?? record.machine ?? "another machine"
        var facts = AgentLivenessFacts(record: record, onThisMachine: onThisMachine, machineLabel: label, now: now,
                                       waitingByHook: AgentHooks.stuckByHook(session),
                                       lastUpdate: session.lastUpdate)
        if record.exited == nil, onThisMachine, let pid = record.pid, let start = record.pidStart,
           let stat = processes?.first(where: { $0.pid == pid }) ?? ProcessTable.stat(pid) {
            let isRecorded = stat.startTime == start && stat.uid.map { $0 == getuid() } ?? false && stat.state != "Z"
            if isRecorded {
                let group = AgentLiveness.processes(of: pid, in: processes ?? ProcessTable.pids().compactMap(ProcessTable.stat))
                let ticks = group.reduce(UInt64(0)) { $0 &+ $1.cpuTicks }
                facts.process = .init(isRecordedProcess: true, groupCPUTicks: ticks, anyRunning: group.contains { $0.state == "R" })
                facts.previous = samples?.exchange(pid: pid, start: start, with: AgentCPUSample(ticks: ticks, at: now))
            } else {
                facts.process = .init(isRecordedProcess: false, groupCPUTicks: 0, anyRunning: false)
            }
        }
        return decide(facts)
    }

    /// The supervisor's process group and every descendant: an agent may start children in
    /// groups of their own (`timeout`, shells with job control), which still are its work.
    package static func processes(of supervisor: Int32, in table: [ProcessStat]) -> [ProcessStat] {
        var children: [Int32: [ProcessStat]] = [:]
        for process in table { children[process.parent, default: []].append(process) }
        var found: [Int32: ProcessStat] = [:]
        for process in table where process.group == supervisor || process.pid == supervisor { found[process.pid] = process }
        var queue = Array(found.keys)
        while let next = queue.popLast() {
            for child in children[next] ?? [] where found[child.pid] == nil {
                found[child.pid] = child
                queue.append(child.pid)
            }
        }
        return Array(found.values)
    }

    /// One /proc snapshot for a view, when any session has an agent that may be alive here.
    public static func snapshot(for sessions: [Session]) -> [ProcessStat]? {
        guard sessions.contains(where: { $0.agent.map { $0.exited == nil && $0.pid != nil } ?? false }) else { return nil }
        return ProcessTable.pids().compactMap(ProcessTable.stat)
    }
}

/// The last CPU sample of each agent process, in memory for the life of a watch or serve, so
/// busy or idle is judged by the CPU time used between two reads.
public final class AgentCPUSamples: @unchecked Sendable {
    public static let shared = AgentCPUSamples()
    private let lock = NSLock()
    private var samples: [String: AgentCPUSample] = [:]

    public init() {}

    /// The sample to compare with (kept until it is `minimumWindow` old), storing `sample` as
    /// the next one when the window is long enough.
    func exchange(pid: Int32, start: UInt64, with sample: AgentCPUSample) -> AgentCPUSample? {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(pid):\(start)"
        guard let previous = samples[key] else {
            samples[key] = sample
            return nil
        }
        if sample.at.timeIntervalSince(previous.at) >= AgentLiveness.minimumWindow { samples[key] = sample }
        return previous
    }
}
