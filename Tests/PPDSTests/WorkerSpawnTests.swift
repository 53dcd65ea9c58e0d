import Foundation
import Testing
import TestSupport
import Agents
import Config
import SessionKit
import Support

/// `spawn`, `attach`, `logs`, `send`, `stop` with the real tmux (a server of its own per test,
/// under a private TMUX_TMPDIR, killed at the end), real processes and real repositories.
final class TmuxWorld: @unchecked Sendable {
    let fixture: GitFixture
    let tmuxDir: String
    let env: [String: String]

    init() throws {
        fixture = try GitFixture()
        tmuxDir = fixture.folder.file("tmux")
        try FileManager.default.createDirectory(atPath: tmuxDir, withIntermediateDirectories: true)
        let binaries = (TestEnvironment.ppdsBinary as NSString).deletingLastPathComponent
        env = ["TMUX_TMPDIR": tmuxDir, "TMUX": "", "PATH": binaries + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }

    deinit { _ = try? tmux(["kill-server"]) }

    @discardableResult
    func ppds(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try fixture.ppds(arguments, environment: env.merging(environment) { $1 })
    }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> ProcessResult {
        try runProcess("/usr/bin/tmux", ["-L", Tmux.serverName] + arguments, environment: env)
    }

    func session(_ issue: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-\(issue).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func agent(_ issue: Int) throws -> [String: Any]? { try session(issue)["agentProcess"] as? [String: Any] }

    /// Waits until `condition` holds (a real process needs a moment), or fails.
    func eventually(_ what: String, within seconds: TimeInterval = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !(try condition()) {
            try #require(Date() < deadline, "never: \(what)")
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// A script in the test folder (run by path: argv, no shell line).
    func script(_ name: String, _ body: String) throws -> String {
        let path = fixture.folder.file(name)
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// The agent: the supervisor's child.
    func agentPID(_ issue: Int) throws -> Int32 {
        let supervisor = try #require(try agent(issue)?["pid"] as? Int)
        var child: Int32?
        try eventually("the agent runs under its supervisor") {
            let text = (try? String(contentsOfFile: "/proc/\(supervisor)/task/\(supervisor)/children", encoding: .utf8)) ?? ""
            child = text.split(separator: " ").first.flatMap { Int32($0) }
            return child != nil
        }
        return child!
    }
}

@Suite(.serialized) struct WorkerSpawnTests {
    @Test func spawnMakesAWindowPerIssueInItsWorktreeAndRecordsTheAgent() throws {
        let world = try TmuxWorld()
        let first = try world.fixture.started(4101).worktree
        let second = try world.fixture.started(4102).worktree
        let agent = try world.script("agent.sh", "echo \"hello from $PPDS_ISSUE in $(pwd)\"; exec sleep 60")
        let result = try world.ppds(["spawn", "4101", "4102", "--json", "--", agent])
        try result.check()
        let results = try #require(try result.json()["results"] as? [[String: Any]])
        #expect(results.map { $0["outcome"] as? String } == ["spawned", "spawned"])
        let windows = try world.tmux(["list-windows", "-a", "-F", "#{session_name} #{window_name}"]).check().stdout
        let lines = windows.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasSuffix(" work-4101") || $0.hasSuffix(" work-4102") }.count == 2)
        #expect(Set(lines.map { $0.split(separator: " ")[0] }).count == 1, "one tmux session per repository: \(lines)")
        for (issue, worktree) in [(4101, first), (4102, second)] {
            let record = try #require(try world.agent(issue))
            #expect(record["name"] as? String == "agent.sh")
            #expect(record["command"] as? [String] == [agent])
            let pid = try #require(record["pid"] as? Int)
            #expect(record["pidStart"] as? Int == ProcessTable.startTime(of: Int32(pid)).map { Int($0) })
            let tmux = try #require(record["tmux"] as? [String: Any])
            #expect((tmux["socket"] as? String)?.hasPrefix(world.tmuxDir) == true)
            #expect(record["log"] as? String == world.fixture.home + "/logs/work-\(issue).agent.log")
            let child = try world.agentPID(issue)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/cwd") == worktree)
            try world.eventually("logs shows the pane's output") {
                (try world.ppds(["logs", String(issue)]).stdout).contains("hello from \(issue) in \(worktree)")
            }
        }
        // The pane's output is kept in the log file too.
        try world.eventually("the log file has the output") {
            ((try? String(contentsOfFile: world.fixture.home + "/logs/work-4101.agent.log", encoding: .utf8)) ?? "").contains("hello from 4101")
        }
    }

    @Test func spawnTwiceRefusesAndSaysHowToReachTheAgent() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4111)
        try world.ppds(["spawn", "4111", "--", "sleep", "60"]).check()
        let pid = try #require(try world.agent(4111)?["pid"] as? Int)
        let again = try world.ppds(["spawn", "4111", "--", "sleep", "60"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already running (pid \(pid)"))
        #expect(again.stderr.contains("ppds attach 4111"))
        let missing = try world.ppds(["spawn", "4999", "--", "sleep", "60"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("has no session"))
    }

    @Test func noTmuxOnPathIsAClearRefusal() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4121)
        let result = try world.ppds(["spawn", "4121", "--", "/bin/sleep", "60"], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("tmux was not found on PATH"))
        #expect(result.stderr.contains("install tmux"))
    }

    @Test func hostileTitleAndPromptNeverReachAShellOrATmuxFormat() throws {
        let world = try TmuxWorld()
        let marker = world.fixture.folder.file("pwned")
        let hostile = "x; touch \(marker) $(touch \(marker)) `touch \(marker)` #(touch \(marker)) #{pane_id} ';"
        try world.fixture.started(4131, title: hostile)
        let prompt = world.fixture.folder.file("prompt.md")
        try "Issue {issue}: {title}\n\(hostile)\n".write(toFile: prompt, atomically: true, encoding: .utf8)
        let received = world.fixture.folder.file("received")
        let agent = try world.script("agent.sh", "printf '%s' \"$1\" > \(received); printf '%s' \"$PPDS_TITLE\" > \(received).title; exec sleep 60")
        try world.ppds(["spawn", "4131", "--prompt", prompt, "--prompt-via", "argv", "--", agent, "first ; word"]).check()
        try world.eventually("the agent got its prompt") { FileManager.default.fileExists(atPath: received + ".title") }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "first ; word")
        #expect(try String(contentsOfFile: received + ".title", encoding: .utf8) == hostile)
        let record = try #require(try world.agent(4131))
        let command = try #require(record["command"] as? [String])
        #expect(command.last == "Issue 4131: \(hostile)\n\(hostile)\n")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func sendTypesLiteralText() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4141)
        let received = world.fixture.folder.file("typed")
        let agent = try world.script("reader.sh", "IFS= read -r line; printf '%s' \"$line\" > \(received).tmp; mv \(received).tmp \(received); exec sleep 60")
        try world.ppds(["spawn", "4141", "--", agent]).check()
        try world.agentPID(4141)
        let marker = world.fixture.folder.file("pwned")
        let text = "a; $(touch \(marker)) #{pane_id} #(touch \(marker)) 'q' -n;"
        try world.ppds(["send", "4141", text]).check()
        try world.eventually("the agent read the line") { FileManager.default.fileExists(atPath: received) }
        #expect(try String(contentsOfFile: received, encoding: .utf8) == text)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func stopEndsTheProcessGroupAndRecordsTheExit() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4151)
        try world.fixture.started(4152)
        try world.ppds(["spawn", "4151", "--", "sleep", "60"]).check()
        let stubborn = try world.script("stubborn.sh", "trap '' TERM; while :; do sleep 1; done")
        try world.ppds(["spawn", "4152", "--", stubborn]).check()
        let polite = try world.agentPID(4151)
        let pid = try #require(try world.agent(4151)?["pid"] as? Int)
        let stopped = try world.ppds(["stop", "4151", "--json"]).check()
        #expect(stopped.stdout.contains("\"terminated\""))
        #expect(kill(polite, 0) != 0 && !ProcessTable.groupAlive(Int32(pid)), "the agent and its group are gone (a zombie supervisor aside, until tmux reaps it)")
        let record = try #require(try world.agent(4151))
        #expect(record["signal"] as? Int == 15)
        #expect(record["exited"] is String)
        let windows = try world.tmux(["list-windows", "-a", "-F", "#{window_name}"]).stdout
        #expect(!windows.contains("work-4151"))

        let group = try #require(try world.agent(4152)?["pid"] as? Int)
        let killed = try world.ppds(["stop", "4152", "--grace", "1"]).check()
        #expect(killed.stdout.contains("SIGKILL"))
        #expect(!ProcessTable.groupAlive(Int32(group)))
        #expect(try world.agent(4152)?["signal"] as? Int == 9)
        // Nothing left to stop.
        #expect(try world.ppds(["stop", "4151"]).check().stdout.contains("no agent running"))
    }

    @Test func killMinus9OfTheAgentIsRecorded() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4161)
        try world.ppds(["spawn", "4161", "--", "sleep", "60"]).check()
        let child = try world.agentPID(4161)
        kill(child, SIGKILL)
        try world.eventually("the exit is recorded") { try world.agent(4161)?["exited"] is String }
        #expect(try world.agent(4161)?["signal"] as? Int == 9)
        #expect(try world.agent(4161)?["exitCode"] is NSNull)
        let exited = try world.ppds(["attach", "4161", "--print"])
        #expect(exited.status == 2)
        #expect(exited.stderr.contains("has exited"))
    }

    @Test func aClosedWindowEndsTheAgentAndIsRecorded() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4162)
        try world.ppds(["spawn", "4162", "--", "sleep", "60"]).check()
        let child = try world.agentPID(4162)
        let window = try #require((try world.agent(4162)?["tmux"] as? [String: String])?["window"])
        try world.tmux(["kill-window", "-t", window]).check()
        try world.eventually("the exit is recorded") { try world.agent(4162)?["exited"] is String }
        #expect(try world.agent(4162)?["signal"] as? Int == Int(SIGHUP))
        #expect(kill(child, 0) != 0, "the agent does not outlive its window")
    }

    @Test func cancelStopsTheAgentFirst() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4171)
        try world.ppds(["spawn", "4171", "--", "sleep", "60"]).check()
        let child = try world.agentPID(4171)
        try world.ppds(["cancel", "4171"]).check()
        #expect(kill(child, 0) != 0, "the agent was stopped")
        #expect(try world.agent(4171)?["exited"] is String)
        #expect(try world.session(4171)["status"] as? String == "cancelled")
    }

    @Test func attachSwitchesInsidePPDSTmuxAndAttachesOutside() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4181)
        try world.ppds(["spawn", "4181", "--", "sleep", "60"]).check()
        let tmux = try #require(try world.agent(4181)?["tmux"] as? [String: String])
        let socket = try #require(tmux["socket"]), pane = try #require(tmux["pane"])
        let outside = try world.ppds(["attach", "4181", "--json"]).check().json()
        #expect(outside["how"] as? String == "attach")
        #expect((outside["argv"] as? [String])?.dropFirst() == ["-S", socket, "attach-session", "-t", pane])
        let inside = try world.ppds(["attach", "4181", "--json"], environment: ["TMUX": socket + ",1,0"]).check().json()
        #expect(inside["how"] as? String == "switch-client")
        #expect((inside["argv"] as? [String])?.dropFirst() == ["-S", socket, "switch-client", "-t", pane])
    }

    @Test func theStandInAgentFollowsTheWorkerProtocol() throws {
        let world = try TmuxWorld()
        let worktree = try world.fixture.started(4191).worktree
        let standIn = world.fixture.folder.file("stand-in.sh")
        try StandInAgent.script.write(toFile: standIn, atomically: true, encoding: .utf8)
        chmod(standIn, 0o755)
        try world.ppds(["spawn", "4191", "--", standIn]).check()
        try world.eventually("the plan is attached") { try world.session(4191)["status"] as? String == "planning_complete" }
        #expect(try world.ppds(["plan", "4191"]).check().stdout.contains("Plan for #4191"))
        try world.ppds(["approve", "4191", "go"]).check()
        try world.eventually("the stand-in asks") { try world.session(4191)["status"] as? String == "stuck" }
        try world.ppds(["guide", "4191", "the simple one"]).check()
        try world.eventually("the stand-in ships") { try world.session(4191)["status"] as? String == "complete" }
        try world.eventually("the exit is recorded") { try world.agent(4191)?["exitCode"] as? Int == 0 }
        #expect(FileManager.default.fileExists(atPath: worktree + "/stand-in-4191.txt"))
        let logs = try world.ppds(["logs", "4191"]).check().stdout
        #expect(logs.contains("stand-in #4191: shipping"))
    }

    @Test func startWorkSpawnsAndGuideTypesIntoAnAgentWithoutHooks() throws {
        let world = try TmuxWorld()
        let received = world.fixture.folder.file("typed")
        let agent = try world.script("reader.sh", "IFS= read -r line; printf '%s' \"$line\" > \(received).tmp; mv \(received).tmp \(received); exec sleep 60")
        try FileManager.default.createDirectory(atPath: world.fixture.home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try "[agents.reader]\ncommand = [\"\(agent)\"]\nprompt = \"none\"\n".write(toFile: world.fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let started = try world.ppds(["start-work", "4201", "--offline", "--spawn", "--agent", "reader", "--json"]).check().json()
        let spawned = try #require(started["spawned"] as? [[String: Any]])
        #expect(spawned.first?["outcome"] as? String == "spawned")
        #expect(try world.agent(4201)?["name"] as? String == "reader")
        try world.agentPID(4201)
        let guided = try world.ppds(["guide", "4201", "use the $(simple) one;"]).check()
        #expect(guided.stderr.contains("typed into #4201's agent reader"))
        try world.eventually("the agent read the guidance") { FileManager.default.fileExists(atPath: received) }
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "use the $(simple) one;")
    }

    @Test func aRepositorysAgentsAndPromptActOnlyOnceTrusted() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4211)
        let received = world.fixture.folder.file("prompt-received")
        let agent = try world.script("agent.sh", "printf '%s' \"$1\" > \(received); exec sleep 60")
        try "[agents.repo]\ncommand = [\"\(agent)\"]\n".write(toFile: world.fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: world.fixture.repo + "/.ppds", withIntermediateDirectories: true)
        try "PROJECT PROMPT for {issue}\n".write(toFile: world.fixture.repo + "/.ppds/prompt.md", atomically: true, encoding: .utf8)
        let refused = try world.ppds(["spawn", "4211", "--agent", "repo"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("not trusted"))
        #expect(refused.stderr.contains("ppds trust"))
        try world.ppds(["trust"]).check()
        try world.ppds(["spawn", "4211", "--agent", "repo", "--offline"]).check()
        try world.eventually("the agent got its prompt") { FileManager.default.fileExists(atPath: received) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "PROJECT PROMPT for 4211\n")
        // A changed prompt is not trusted any more: the built-in one is used, with a warning.
        try world.ppds(["stop", "4211"]).check()
        try "CHANGED {issue}\n".write(toFile: world.fixture.repo + "/.ppds/prompt.md", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: received)
        let again = try world.ppds(["spawn", "4211", "--agent", "repo", "--offline"]).check()
        #expect(again.stderr.contains("prompt.md is not trusted"))
        try world.eventually("the agent got its prompt") { FileManager.default.fileExists(atPath: received) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try String(contentsOfFile: received, encoding: .utf8).hasPrefix("You are the worker for issue #4211"))
    }

    @Test func logsShowsTheExecLogEscaped() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4221)
        try FileManager.default.createDirectory(atPath: world.fixture.home + "/logs", withIntermediateDirectories: true)
        try "one\ntwo \u{1B}[31mred\nthree\n".write(toFile: world.fixture.home + "/logs/work-4221.exec.log", atomically: true, encoding: .utf8)
        let logs = try world.ppds(["logs", "4221", "--lines", "2"]).check().stdout
        #expect(logs == "two \\e[31mred\nthree\n")
        #expect(try world.ppds(["logs", "4221", "--exec", "--raw", "--lines", "1"]).check().stdout == "three\n")
        let none = try world.ppds(["logs", "4222"])
        #expect(none.status == 2)
    }

    @Test func promptTemplateFillsEachPlaceholderOnce() {
        var session = Session(issue: IssueNumber(7)!, branch: "feat/x", worktree: "/w", started: Date(), title: "T {body}")
        session.title = "T {body}"
        let text = AgentPrompt.render("#{issue} {title} | {body} | {labels} {unknown}", session: session, title: nil, body: "B {title}", labels: ["a", "b"])
        #expect(text == "#7 T {body} | B {title} | a, b {unknown}")
        #expect(Tmux.literalWord("ls;") == "ls\\;")
        #expect(Tmux.sessionName(forRepo: "/x/my repo#1").hasPrefix("my_repo_1-"))
    }
}
