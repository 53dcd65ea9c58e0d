import Foundation
import Testing
import TestSupport
import Agents
import Lifecycle
import SessionKit
import Support
import Config
import LifecycleCore
import View

/// Liveness of a session's agent: the decision on a table of facts, and the real thing (a
/// `sleep` recorded as the agent, then killed with SIGKILL) through status, show and doctor.
@Suite struct AgentLivenessTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(pid: Int32? = 4242, exited: Date? = nil, code: Int32? = nil, signal: Int32? = nil, machine: String? = "m-here") -> AgentRecord {
        AgentRecord(name: "claude", command: ["claude"], machine: machine, pid: pid, pidStart: 77, started: start,
                    exited: exited, exitCode: code, signal: signal)
    }

    static func live(ticks: UInt64 = 0, running: Bool = false) -> AgentLivenessFacts.Process {
        .init(isRecordedProcess: true, groupCPUTicks: ticks, anyRunning: running)
    }

    @Test(arguments: [
        // (what, facts, expected)
        ("no record", AgentLivenessFacts(record: nil, onThisMachine: true, now: start, lastUpdate: start), AgentLiveness.none),
        ("exit recorded wins over everything", AgentLivenessFacts(record: record(exited: start + 60, code: 3), onThisMachine: false,
                                                                  process: live(), now: start + 240, lastUpdate: start),
         .exited(at: start + 60, exitCode: 3, signal: nil)),
        ("killed by a signal", AgentLivenessFacts(record: record(exited: start + 60, signal: 9), onThisMachine: true, now: start + 240, lastUpdate: start),
         .exited(at: start + 60, exitCode: nil, signal: 9)),
        ("another machine's", AgentLivenessFacts(record: record(), onThisMachine: false, machineLabel: "laptop", now: start + 5, lastUpdate: start + 2),
         .elsewhere(machine: "laptop", asOf: start + 2)),
        ("pid gone, no exit", AgentLivenessFacts(record: record(), onThisMachine: true, process: nil, now: start, lastUpdate: start), .gone(pid: 4242)),
        ("pid reused by another process", AgentLivenessFacts(record: record(), onThisMachine: true,
                                                             process: .init(isRecordedProcess: false, groupCPUTicks: 9, anyRunning: true),
                                                             now: start, lastUpdate: start), .gone(pid: 4242)),
        ("no pid recorded", AgentLivenessFacts(record: record(pid: nil), onThisMachine: true, now: start, lastUpdate: start), .gone(pid: nil)),
        ("one read, on a CPU", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(running: true), now: start, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .busy)),
        ("one read, sleeping", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(), now: start, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .idle)),
        ("CPU used between reads", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(ticks: 1000),
                                                      previous: AgentCPUSample(ticks: 900, at: start + 8), now: start + 10, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .busy)),
        ("no CPU between reads, though on a CPU now", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(ticks: 900, running: true),
                                                                        previous: AgentCPUSample(ticks: 900, at: start + 8), now: start + 10, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .idle)),
        ("a window too short falls back to the state", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(ticks: 900, running: true),
                                                                         previous: AgentCPUSample(ticks: 900, at: start + 9.9), now: start + 10, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .busy)),
        ("waiting for input by the hook", AgentLivenessFacts(record: record(), onThisMachine: true, process: live(running: true), now: start,
                                                             waitingByHook: true, lastUpdate: start),
         .running(pid: 4242, since: start, activity: .waitingForInput)),
    ] as [(String, AgentLivenessFacts, AgentLiveness)])
    func decision(_ what: String, _ facts: AgentLivenessFacts, _ expected: AgentLiveness) {
        #expect(AgentLiveness.decide(facts) == expected, "\(what)")
    }

    @Test func anEndedAgentIsAProblemOnlyWhileWorkingOrPlanning() {
        let now = Self.start + 180
        for status: SessionStatus in [.working, .planning, .stuck, .complete, .paused] {
            var session = Session(issue: IssueNumber(7)!, status: status, branch: "feat/x", worktree: "/tmp/x", started: Self.start)
            session.lastUpdate = now
            var facts = DiagnosisFacts.SessionFacts(session: session, checkout: .checkedOut(.branch("feat/x")), folderExists: true, parentExists: true,
                                                    branchExists: true, branchHeldBy: nil, operationRunning: false, canonicalWorktree: "/tmp/x")
            facts.agent = .exited(at: Self.start, exitCode: nil, signal: 9)
            var all = DiagnosisFacts(scope: .sessions, now: now, staleAfter: 3600, quarantine: "/q")
            all.sessions = [facts]
            let ended = Diagnosis.diagnose(all).filter { $0.name == "agentEnded" }
            if status == .working || status == .planning {
                #expect(ended == [.agentEnded(.init(session), status: status, .init(ago: 180, signal: 9))])
            } else {
                #expect(ended.isEmpty, "\(status)")
            }
            facts.agent = .running(pid: 1, since: Self.start, activity: .idle)
            all.sessions = [facts]
            #expect(Diagnosis.diagnose(all).allSatisfy { $0.name != "agentEnded" })
        }
    }

    @Test func statParsingCountsFromTheLastParenthesis() throws {
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 15 7 0 0 20 0 1 0 987654 1000 100 0"
        let stat = try #require(ProcessStat.parse(line))
        #expect(stat.pid == 4242 && stat.state == "S" && stat.parent == 1 && stat.group == 4242)
        #expect(stat.cpuTicks == 22 && stat.startTime == 987654)
        #expect(ProcessStat.parse("garbage") == nil)
    }

    /// A real process recorded as the agent: running, then `kill -9`: status, its JSON and
    /// doctor say so at the next read, with no help from the (dead) supervisor.
    @Test func aKilledAgentShowsInStatusAtTheNextRead() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: "Agent work")
        try fixture.ppds(["update", "1", "--status", "working"]).check()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["600"]
        try sleeper.run()
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() } }
        let pid = sleeper.processIdentifier
        let stat = try #require(ProcessTable.stat(pid))
        try recordAgent(fixture, issue: 1, fields: ["name": "stand-in", "command": ["sleep", "600"], "pid": Int(pid),
                                                    "pidStart": Int(stat.startTime), "started": Timestamp.format(Date())])

        let running = try agentLiveness(fixture)
        #expect(running["state"] as? String == "running")
        #expect(running["pid"] as? Int == Int(pid))
        #expect(running["activity"] as? String == "idle")
        let text = try fixture.ppds(["status"]).check().stdout
        #expect(text.contains("Agent stand-in: running (pid \(pid)"), "\(text)")
        #expect(try fixture.ppds(["show", "1"]).check().stdout.contains("agent:     stand-in running (pid \(pid)"))

        let workspace = try Workspace.locate(repo: fixture.repo, home: fixture.home)
        let notifier = Notifier(config: Config(), home: fixture.home, desktop: false)
        notifier.observe(try StatusReport.build(workspace))

        kill(pid, SIGKILL)
        sleeper.waitUntilExit()
        // watch --notify and serve --notify: once.
        let events = notifier.observe(try StatusReport.build(workspace))
        #expect(events.map(\.kind) == [.agentEnded])
        #expect(events.first?.body == "agent ended without a trace (pid \(pid) is gone) while working")
        #expect(notifier.observe(try StatusReport.build(workspace)).isEmpty)
        let gone = try agentLiveness(fixture)
        #expect(gone["state"] as? String == "gone")
        let status = try fixture.ppds(["status", "--json"]).json()
        let problem = try #require((status["problems"] as? [[String: Any]])?.first { $0["name"] as? String == "agentEnded" })
        #expect(problem["issue"] as? String == "#1")
        #expect((problem["message"] as? String ?? "").contains("agent ended without a trace (pid \(pid) is gone) while working; 'ppds spawn 1'"))
        let textAfter = try fixture.ppds(["status"]).check().stdout
        #expect(textAfter.contains("agentEnded: agent ended without a trace"), "\(textAfter)")
        let doctor = try fixture.ppds(["doctor", "--json"]).json()
        #expect((doctor["problems"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "agentEnded" })

        // The supervisor's record of the end: exit code and when.
        try recordAgent(fixture, issue: 1, fields: ["name": "stand-in", "command": ["sleep", "600"], "pid": Int(pid),
                                                    "pidStart": Int(stat.startTime), "started": Timestamp.format(Date()),
                                                    "exited": Timestamp.format(Date().addingTimeInterval(-180)), "exitCode": 3])
        let exited = try agentLiveness(fixture)
        #expect(exited["state"] as? String == "exited" && exited["exitCode"] as? Int == 3)
        let shown = try fixture.ppds(["status"]).check().stdout
        #expect(shown.contains("agent exited 3 min ago (exit code 3) while working"), "\(shown)")

        // Finished work has no problem with an ended agent.
        try fixture.ppds(["update", "1", "--status", "complete"]).check()
        let done = try fixture.ppds(["status", "--json"]).json()
        #expect(!(done["problems"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "agentEnded" })
    }

    /// Claude Code's Notification hook (a permission or idle prompt) is "waiting for input".
    @Test func theHooksWaitIsWaitingForInput() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(3)
        try fixture.ppds(["update", "3", "--status", "working"]).check()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["600"]
        try sleeper.run()
        defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
        let stat = try #require(ProcessTable.stat(sleeper.processIdentifier))
        try recordAgent(fixture, issue: 3, fields: ["name": "claude", "command": ["claude"], "pid": Int(sleeper.processIdentifier),
                                                    "pidStart": Int(stat.startTime), "started": Timestamp.format(Date())])
        let payload: [String: Any] = ["session_id": "abc", "cwd": worktree, "hook_event_name": "Notification", "transcript_path": "/tmp/t.jsonl",
                                      "message": "Claude is waiting for your input", "notification_type": "idle_prompt"]
        try fixture.ppds(["hook", "claude", "3"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""],
                         stdin: String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)).check()
        #expect(try agentLiveness(fixture, issue: 3)["activity"] as? String == "waitingForInput")
        #expect(try fixture.ppds(["status"]).check().stdout.contains("waiting for input)"))
    }

    @Test func anotherMachinesAgentIsNotJudgedHere() throws {
        let fixture = try GitFixture()
        try fixture.started(2)
        try fixture.ppds(["update", "2", "--status", "working"]).check()
        try recordAgent(fixture, issue: 2, fields: ["name": "claude", "command": ["claude"], "pid": 1, "pidStart": 1,
                                                    "machine": "m-elsewhere", "started": Timestamp.format(Date())])
        let liveness = try agentLiveness(fixture, issue: 2)
        #expect(liveness["state"] as? String == "elsewhere" && liveness["machine"] as? String == "m-elsewhere")
        let status = try fixture.ppds(["status", "--json"]).json()
        #expect(!(status["problems"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "agentEnded" })
    }

    func recordAgent(_ fixture: GitFixture, issue: Int, fields: [String: Any]) throws {
        let file = fixture.home + "/sessions/work-\(issue).json"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        object["agentProcess"] = fields
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
    }

    func agentLiveness(_ fixture: GitFixture, issue: Int = 1) throws -> [String: Any] {
        let status = try fixture.ppds(["status", "--json"]).json()
        let session = try #require((status["sessions"] as? [[String: Any]])?.first { $0["issue"] as? String == "#\(issue)" })
        return try #require(session["agentLiveness"] as? [String: Any])
    }

    /// The agent's processes: the supervisor's group and every descendant, also in groups of
    /// their own; nothing else.
    @Test func theAgentsProcessesAreItsGroupAndDescendants() {
        func process(_ pid: Int32, parent: Int32, group: Int32) -> ProcessStat {
            ProcessStat(pid: pid, state: "S", parent: parent, group: group, cpuTicks: 1, startTime: 1)
        }
        let table = [process(100, parent: 1, group: 100), process(101, parent: 100, group: 100),
                     process(102, parent: 101, group: 102), process(103, parent: 102, group: 102),
                     process(104, parent: 1, group: 100), process(200, parent: 1, group: 200), process(201, parent: 200, group: 200)]
        let found = Set(AgentLiveness.processes(of: 100, in: table).map(\.pid))
        #expect(found == [100, 101, 102, 103, 104])
    }
}
