import Foundation
import Testing
import TestSupport
import Agents
import SessionKit
import Support

/// Attacks on the worker commands: a hand-edited `agentProcess` record, a stale tmux window id,
/// two spawns at once. Real tmux (a private server), real processes, real repositories.
@Suite(.serialized) struct WorkerAttackTests {
    /// A pane of the test's tmux server running `sleep`: a process group leader of this user,
    /// like the user's own shell.
    func bystander(_ world: TmuxWorld) throws -> (pid: Int32, window: String) {
        let line = try world.tmux(["new-session", "-d", "-s", "bystander", "-P", "-F", "#{pane_pid} #{window_id}", "--", "sleep", "600"]).check().stdout
        let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        return (try #require(Int32(fields[0])), String(fields[1]))
    }

    func handEdit(_ world: TmuxWorld, issue: Int, _ fields: [String: Any]) throws {
        let file = world.fixture.home + "/sessions/work-\(issue).json"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        object["agentProcess"] = fields
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
    }

    /// A record pointing at another live process (pid, start time and owner all right) is not a
    /// supervisor ppds started: stop, cancel and prune never signal it, nor close its window.
    @Test func aHandEditedRecordNeverSignalsAnotherProcess() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4301)
        let other = try bystander(world)
        let start = try #require(ProcessTable.startTime(of: other.pid))
        let socket = try world.tmux(["display-message", "-p", "-t", other.window, "#{socket_path}"]).check().stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try handEdit(world, issue: 4301, ["name": "claude", "command": ["claude"], "pid": Int(other.pid), "pidStart": Int(start),
                                          "started": Timestamp.format(Date()),
                                          "tmux": ["socket": socket, "session": "bystander", "window": other.window, "pane": "%0"]])
        try world.ppds(["stop", "4301", "--grace", "1"]).check()
        #expect(kill(other.pid, 0) == 0, "the bystander was not signalled")
        #expect(try world.tmux(["list-windows", "-a", "-F", "#{window_id}"]).stdout.contains(other.window), "its window is left")
        try world.ppds(["cancel", "4301"]).check()
        #expect(kill(other.pid, 0) == 0)

        // pid 1 (this test may run as root, where the owner check passes): never `kill(-1, …)`.
        try world.fixture.started(4302)
        let initStart = try #require(ProcessTable.startTime(of: 1))
        try handEdit(world, issue: 4302, ["name": "claude", "command": ["claude"], "pid": 1, "pidStart": Int(initStart),
                                          "started": Timestamp.format(Date())])
        try world.ppds(["stop", "4302", "--grace", "1"]).check()
        #expect(kill(other.pid, 0) == 0, "no signal reached everything")
    }

    /// A gone agent's record names a window id that a restarted tmux server gave to another
    /// worker: stopping the gone one leaves the other's window alone.
    @Test func aStaleWindowIDIsNotClosed() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4311)
        try world.fixture.started(4312)
        try world.ppds(["spawn", "4311", "--", "sleep", "60"]).check()
        let live = try #require(try world.agent(4311))
        let pid = try #require(live["pid"] as? Int)
        // 4312's record: a supervisor that is gone (a dead pid), in 4311's window.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try handEdit(world, issue: 4312, ["name": "claude", "command": ["claude"], "pid": Int(dead.processIdentifier), "pidStart": 1,
                                          "started": Timestamp.format(Date()), "tmux": live["tmux"] as Any])
        try world.ppds(["stop", "4312"]).check()
        #expect(ProcessTable.groupAlive(Int32(pid)), "4311's agent still runs")
        #expect(!(try world.agent(4311)?["exited"] is String), "4311 is not recorded as exited")
    }

    /// Two `ppds spawn` of one issue at once start one agent; the other is refused.
    @Test func twoSpawnsAtOnceStartOneAgent() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4321)
        let agent = try world.script("slow.sh", "exec sleep 4321")
        let launches = try (0..<2).map { _ -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
            process.arguments = ["spawn", "4321", "--", agent]
            process.currentDirectoryURL = URL(fileURLWithPath: world.fixture.repo)
            process.environment = ProcessInfo.processInfo.environment.merging(world.env) { $1 }
                .merging(["PPDS_HOME": world.fixture.home]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in launches { try process.run() }
        for process in launches { process.waitUntilExit() }
        #expect(launches.map(\.terminationStatus).sorted() != [0, 0], "one of them is refused")
        let windows = try world.tmux(["list-windows", "-a", "-F", "#{window_name}"]).stdout
            .split(separator: "\n").filter { $0 == "work-4321" }
        #expect(windows.count == 1, "one window: \(windows)")
        let sleepers = ProcessTable.pids().filter { ProcessTable.command(of: $0) == "sleep 4321" && ProcessTable.stat($0).map { s in
            ProcessTable.command(of: s.parent).contains("agent-run") } ?? false }
        #expect(sleepers.count == 1, "one agent runs: \(sleepers)")
    }

    /// Guidance typed into an agent without hooks can be a stuck option the agent itself wrote:
    /// its control characters are typed as spaces, never as keys (Ctrl-C would interrupt the
    /// agent, Ctrl-U erase its line, ESC start a sequence).
    @Test func typedGuidanceHasNoControlKeys() throws {
        let world = try TmuxWorld()
        let received = world.fixture.folder.file("typed")
        let agent = try world.script("reader.sh", "IFS= read -r line; printf '%s' \"$line\" > \(received).tmp; mv \(received).tmp \(received); exec sleep 60")
        try FileManager.default.createDirectory(atPath: world.fixture.home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try "[agents.reader]\ncommand = [\"\(agent)\"]\nprompt = \"none\"\n".write(toFile: world.fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        try world.ppds(["start-work", "4331", "--offline", "--spawn", "--agent", "reader"]).check()
        let child = try world.agentPID(4331)
        try world.ppds(["guide", "4331", "keep\u{3}going\u{1B}[2J\u{15}"]).check()
        try world.eventually("the agent read the guidance", within: 5) { FileManager.default.fileExists(atPath: received) }
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "keep going [2J ")
        #expect(kill(child, 0) == 0, "the agent was not interrupted")
    }

    /// `kill -9` of the supervisor leaves an agent that ignores SIGHUP running in its process
    /// group: spawn does not start a second agent beside it, and stop ends it.
    @Test func anAgentOrphanedByItsSupervisorIsStoppedNotDoubled() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4341)
        let agent = try world.script("deaf.sh", "trap '' HUP; exec sleep 4341")
        try world.ppds(["spawn", "4341", "--", agent]).check()
        let child = try world.agentPID(4341)
        let supervisor = try #require(try world.agent(4341)?["pid"] as? Int)
        kill(Int32(supervisor), SIGKILL)
        try world.eventually("the supervisor is gone") { ProcessTable.stat(Int32(supervisor)).map { $0.state == "Z" } ?? true }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(kill(child, 0) == 0, "the agent outlived its supervisor (it ignores SIGHUP)")
        defer { kill(child, SIGKILL) }

        let again = try world.ppds(["spawn", "4341", "--", agent])
        #expect(again.status != 0, "no second agent beside the orphan: \(again.stdout)")
        #expect(again.stderr.contains("ppds stop 4341"), "\(again.stderr)")
        try world.ppds(["stop", "4341", "--grace", "1"]).check()
        try world.eventually("the orphan is ended", within: 5) { ProcessTable.stat(child).map { $0.state == "Z" } ?? true }
        try world.ppds(["spawn", "4341", "--", "sleep", "60"]).check()
    }

    /// A second supervisor for one issue (a spawn that gave up waiting for the first, a launch
    /// file run again) refuses to run its agent beside the live one, and leaves its record.
    @Test func aSecondSupervisorDoesNotRunBesideTheFirst() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4351)
        try world.ppds(["spawn", "4351", "--", "sleep", "60"]).check()
        let first = try #require(try world.agent(4351)?["pid"] as? Int)
        let marker = world.fixture.folder.file("second-ran")
        let agent = try world.script("second.sh", "touch \(marker)")
        let launch = AgentLaunch(home: world.fixture.home, repoRoot: world.fixture.repo, issue: try #require(IssueNumber(4351)), agent: "second",
                                 command: [agent], prompt: nil, delivery: .none, path: nil, log: world.fixture.home + "/logs/second.log")
        let file = try launch.write()
        let second = try world.ppds(["agent-run", "--launch", file])
        #expect(second.status != 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("already runs"), "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the second agent never ran")
        #expect(try world.agent(4351)?["pid"] as? Int == first, "the first supervisor's record stays")
    }
}
