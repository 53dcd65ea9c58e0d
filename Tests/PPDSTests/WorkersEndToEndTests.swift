import Foundation
import Testing
import TestSupport
import Agents

/// The whole worker loop with the real parts: a stand-in agent spawned in real tmux, answered
/// from the interactive watch (itself in another real tmux), an agent killed with `kill -9`
/// seen by `status`, the agent's log read back, and `ppds demo`'s workers act.
@Suite(.serialized) struct WorkersEndToEndTests {
    /// A stand-in spawned by `ppds spawn` plans; the plan is approved; it asks; a digit pressed
    /// in `ppds watch` answers it; it works, commits and ships, and its exit is recorded.
    @Test func aStandInIsAnsweredFromTheInteractiveWatch() throws {
        let world = try TmuxWorld()
        let worktree = try world.fixture.started(4301, title: "Stand-in answered from watch").worktree
        let standIn = world.fixture.folder.file("stand-in.sh")
        try StandInAgent.script.write(toFile: standIn, atomically: true, encoding: .utf8)
        chmod(standIn, 0o755)
        try world.ppds(["spawn", "4301", "--", standIn]).check()
        try world.eventually("the plan is attached") { try world.session(4301)["status"] as? String == "planning_complete" }
        try world.ppds(["approve", "4301", "go"]).check()
        try world.eventually("the stand-in asks") { try world.session(4301)["status"] as? String == "stuck" }

        let screen = try TmuxScreen(world.fixture)
        try screen.startWatch()
        try screen.waitFor("the question, its options and the running agent") {
            $0.contains("> #4301 ") && $0.contains("1) the simple one") && $0.contains("running (pid")
        }
        try screen.press("1")
        try world.eventually("the stand-in ships") { try world.session(4301)["status"] as? String == "complete" }
        try world.eventually("its exit is recorded") { try world.agent(4301)?["exitCode"] as? Int == 0 }
        let guidance = try #require(try world.session(4301)["guidance"] as? [[String: Any]])
        #expect(guidance.last?["message"] as? String == "the simple one")
        let log = try runProcess("/usr/bin/git", ["log", "--format=%s", "-1"], in: worktree).check().stdout
        #expect(log.contains("stand-in work for #4301"))
        try screen.waitFor("the watch shows it ready, its agent exited") { $0.contains("PR ready") && $0.contains("agent ") && $0.contains("exit code 0") }
        try screen.press("q")
        try screen.waitFor("the shell again") { _ in try screen.format("#{alternate_on}") == "0" }
    }

    /// `kill -9` of a working session's agent: the next `status` says the agent ended while
    /// working (text and JSON), with the signal.
    @Test func anAgentKilledWithSignalNineShowsInStatus() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4311)
        let agent = try world.script("busy.sh", "exec sleep 600")
        try world.ppds(["spawn", "4311", "--", agent]).check()
        try world.ppds(["update", "4311", "--status", "working"]).check()
        let pid = try world.agentPID(4311)
        let before = try world.ppds(["status"]).check().stdout
        #expect(before.contains("running (pid"))
        #expect(kill(pid, SIGKILL) == 0)
        try world.eventually("status says the agent ended", within: 5) {
            let text = try world.ppds(["status"]).stdout
            return text.contains("agent") && text.contains("while working") && text.contains("signal 9")
        }
        let json = try world.ppds(["status", "--json"]).json()
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(problems.contains(where: { $0["name"] as? String == "agentEnded" }))
    }

    /// The agent log is a terminal's output (lines end in CR LF); after the agent exits, `logs
    /// --lines 2` gives its last two lines, not the whole file as one line.
    @Test func logsOfAnExitedAgentGiveItsLastLines() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4321)
        let agent = try world.script("talker.sh", "printf 'one\\ntwo\\nthree\\n'")
        try world.ppds(["spawn", "4321", "--", agent]).check()
        try world.eventually("the agent exits") { try world.agent(4321)?["exitCode"] as? Int == 0 }
        try world.eventually("the log has the last line") {
            try world.ppds(["logs", "4321", "--lines", "50"]).stdout.contains("three")
        }
        let last = try world.ppds(["logs", "4321", "--lines", "2"]).check().stdout
        #expect(!last.contains("\\r"), "no CR shown escaped: \(last)")
        #expect(last.split(separator: "\n").count == 2, "two lines: \(last)")
    }

    /// `ppds demo` ends with two stand-ins spawned in tmux that plan, ask, work and ship; its
    /// tmux server (its own socket in the demo's folder) is gone afterwards.
    @Test func theDemosWorkersRunTheProtocol() throws {
        let world = try TmuxWorld()
        let result = try runProcess(TestEnvironment.ppdsBinary, ["demo"], environment: world.env.merging(["NO_COLOR": "1"]) { $1 })
        try result.check()
        #expect(result.stdout.contains("8. Workers that run"))
        #expect(result.stdout.components(separatedBy: "Agent stand-in: exited").count == 3, "two stand-ins exited:\n\(result.stdout)")
        #expect(result.stdout.contains("#105 shipped: complete"))
        let root = try #require(result.stdout.components(separatedBy: "with an origin at ").dropFirst().first?.split(separator: "\n").first)
        let socket = String(root) + "/tmux.sock"
        let pids = (try FileManager.default.contentsOfDirectory(atPath: "/proc")).filter { $0.allSatisfy(\.isNumber) }
        let leftRunning = pids.filter { pid in
            let words = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return words.contains(socket)
        }
        #expect(leftRunning.isEmpty, "the demo's tmux server (\(socket)) was left running: \(leftRunning)")
    }

    /// An agent whose work runs in a process group of its own (`timeout` makes one): it counts
    /// as the agent's (busy by CPU), and `stop` ends it too, not only the supervisor's group.
    @Test func stopEndsAChildInAGroupOfItsOwn() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4331)
        try world.ppds(["spawn", "4331", "--", "timeout", "300", "sh", "-c", "while :; do :; done"]).check()
        let timeout = try world.agentPID(4331)
        var loop: Int32?
        try world.eventually("timeout starts the loop") {
            let text = (try? String(contentsOfFile: "/proc/\(timeout)/task/\(timeout)/children", encoding: .utf8)) ?? ""
            loop = text.split(separator: " ").first.flatMap { Int32($0) }
            return loop != nil
        }
        #expect(getpgid(loop!) != getpgid(timeout) || getpgid(timeout) == timeout, "the loop runs in timeout's own group")
        try world.eventually("status says it is busy", within: 5) { try world.ppds(["status"]).stdout.contains("busy") }
        try world.ppds(["stop", "4331", "--grace", "1"]).check()
        try world.eventually("the loop is gone", within: 5) { kill(loop!, 0) != 0 }
    }

    /// A launch file left by a spawn killed before its window started (older than a day) is
    /// removed by the next spawn; a fresh one, and any other file, is not.
    @Test func aLeftoverLaunchFileIsRemovedByTheNextSpawn() throws {
        let world = try TmuxWorld()
        try world.fixture.started(4341)
        let folder = world.fixture.home + "/launch"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let old = folder + "/" + UUID().uuidString.lowercased() + ".json"
        let fresh = folder + "/" + UUID().uuidString.lowercased() + ".json"
        let other = folder + "/notes.json"
        for file in [old, fresh, other] { try "{}".write(toFile: file, atomically: true, encoding: .utf8) }
        for file in [old, other] {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3 * 24 * 3600)], ofItemAtPath: file)
        }
        let agent = try world.script("quiet.sh", "exec sleep 60")
        try world.ppds(["spawn", "4341", "--", agent]).check()
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: fresh))
        #expect(FileManager.default.fileExists(atPath: other))
        try world.ppds(["stop", "4341", "--grace", "1"]).check()
    }

    /// A finished session whose agent still runs in its worktree: prune stops the agent first
    /// (it is no obstacle of its own), then removes the worktree; its exit is recorded.
    @Test func pruneStopsAFinishedSessionsAgentAndRemovesTheWorktree() throws {
        let world = try TmuxWorld()
        let agent = try world.script("idle.sh", "exec sleep 600")
        let shipped = try world.fixture.started(4362).worktree
        try world.ppds(["spawn", "4362", "--", agent]).check()
        let agentPID = try world.agentPID(4362)
        try world.ppds(["ship", "4362", "--force", "--pr", "https://example.invalid/pull/4362"]).check()
        let result = try world.ppds(["prune", "4362", "--min-age", "0s", "--json"])
        let items = (try? result.json())?["results"] as? [[String: Any]] ?? []
        #expect(items.first?["outcome"] as? String == "removed", "\(result.stdout)\n\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shipped))
        #expect(kill(agentPID, 0) != 0, "the agent was stopped")
    }
}
