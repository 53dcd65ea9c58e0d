import Foundation
import Testing
import TestSupport
import Config
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore

/// Plan review at planning_complete, through the built binary in real temporary repositories:
/// a worker attaches its plan, the orchestrator reads it, approves or sends it back, and a
/// worker blocked in `wait` wakes up with the answer.
@Suite struct PlanReviewTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    func sessionJSON(_ issue: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-\(issue).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func plans(_ issue: Int) throws -> [[String: Any]] {
        try sessionJSON(issue)["plans"] as? [[String: Any]] ?? []
    }

    func writePlan(_ text: String, name: String = "plan.md") throws -> String {
        let path = fixture.folder.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func waitForExit(_ process: Process, within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        return !process.isRunning
    }

    @Test func aWorkerAttachesItsPlanAndTheOrchestratorReadsIt() throws {
        try fixture.started(41)
        let file = try writePlan("Use a sliding window\n\n1. add the limiter\n2. test it\n")
        let update = try fixture.ppds(["update", "41", "--status", "planning_complete", "--plan", file]).check()
        #expect(update.stdout.contains("#41 is now planning_complete with plan v1"))
        let stored = try plans(41)
        #expect(stored.count == 1 && stored[0]["version"] as? Int == 1 && stored[0]["text"] as? String == "Use a sliding window\n\n1. add the limiter\n2. test it\n")
        #expect(try sessionJSON(41)["status"] as? String == "planning_complete")

        let shown = try fixture.ppds(["plan", "41"]).check().stdout
        #expect(shown.contains("#41 plan v1"))
        #expect(shown.contains("waiting for review"))
        #expect(shown.contains("    1. add the limiter"))
        #expect(shown.contains("ppds approve 41"))

        // status: the plan's first line and age; show and the JSON: the summary.
        let status = try fixture.ppds(["status"]).check().stdout
        #expect(status.contains("plan v1, waiting for review, attached"))
        #expect(status.contains(": Use a sliding window"))
        let json = try fixture.ppds(["status", "--json"]).check().json()
        let session = try #require((json["sessions"] as? [[String: Any]])?.first)
        let summary = try #require(session["planSummary"] as? [String: Any])
        #expect(summary["firstLine"] as? String == "Use a sliding window")
        #expect(summary["state"] as? String == "waiting")
        #expect(summary["version"] as? Int == 1)
        #expect(try fixture.ppds(["show", "41"]).check().stdout.contains("plan:      plan v1, waiting for review"))
        let showJSON = try fixture.ppds(["show", "41", "--json"]).check().json()
        #expect(((showJSON["session"] as? [String: Any])?["planSummary"] as? [String: Any])?["state"] as? String == "waiting")

        // --plan - reads stdin.
        try fixture.started(42)
        try fixture.ppds(["update", "42", "--status", "planning_complete", "--plan", "-"], stdin: "From stdin\n").check()
        #expect(try plans(42).first?["text"] as? String == "From stdin\n")
    }

    @Test func approveWakesAWorkerBlockedInWait() throws {
        try fixture.started(43)
        let file = try writePlan("Plan A\n")
        let output = Pipe()
        let worker = try fixture.launchPPDS(["update", "43", "--status", "planning_complete", "--plan", file, "--wait", "--timeout", "60s", "--json"],
                                            output: output)
        let deadline = Date().addingTimeInterval(20)
        while (try? sessionJSON(43)["status"] as? String) != "planning_complete" {
            try #require(Date() < deadline && worker.isRunning, "the worker never attached its plan")
            Thread.sleep(forTimeInterval: 0.02)
        }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(worker.isRunning, "the worker blocks until its plan is answered")
        let sent = Date()
        let approve = try fixture.ppds(["approve", "43", "looks good", "--json"], environment: ["USER": "ana", "PPDS_MACHINE_LABEL": "desk"]).check().json()
        #expect(waitForExit(worker, within: 2), "the approval must wake the worker")
        if worker.isRunning { worker.terminate() }
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        print("approve to worker exit: \(Int(Date().timeIntervalSince(sent) * 1000)) ms")
        #expect(approve["verdict"] as? String == "approved" && approve["planVersion"] as? Int == 1 && approve["status"] as? String == "working")
        let answer = try #require(try JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect(answer["outcome"] as? String == "guidance")
        let message = try #require((answer["guidance"] as? [[String: Any]])?.first?["message"] as? String)
        #expect(message.contains("Plan v1 approved: implement it. The reviewer adds: looks good"))

        // Recorded with the plan: who, when, what, which version; and the session is working.
        let recorded = try #require((try plans(43).first?["answers"] as? [[String: Any]])?.first)
        #expect(recorded["verdict"] as? String == "approved" && recorded["message"] as? String == "looks good")
        #expect(recorded["at"] as? String != nil && recorded["guidance"] as? String != nil)
        let by = try #require(recorded["by"] as? [String: Any])
        #expect(by["user"] as? String == "ana" && by["label"] as? String == "desk" && by["machine"] as? String != nil)
        #expect(try sessionJSON(43)["status"] as? String == "working")
    }

    @Test func reviseMakesANewVersionAndHistoryShowsThemAll() throws {
        try fixture.started(44)
        try fixture.ppds(["update", "44", "--status", "planning_complete", "--plan", try writePlan("First try\n")]).check()
        let revise = try fixture.ppds(["revise", "44", "split the migration out"]).check()
        #expect(revise.stdout.contains("#44 plan v1 sent back"))
        #expect(try sessionJSON(44)["status"] as? String == "planning")
        // The worker reads the request with its next update.
        let next = try fixture.ppds(["update", "44", "--status", "planning_complete", "--plan", try writePlan("Second try\nwithout the migration\n")]).check()
        #expect(next.stdout.contains("split the migration out"))
        #expect(next.stdout.contains("with plan v2"))
        #expect(try plans(44).map { $0["version"] as? Int } == [1, 2])

        let latest = try fixture.ppds(["plan", "44"]).check().stdout
        #expect(latest.contains("plan v2") && latest.contains("Second try") && !latest.contains("First try"))
        let history = try fixture.ppds(["plan", "44", "--history"]).check().stdout
        #expect(history.contains("#44 plan v1") && history.contains("First try") && history.contains("sent back"))
        #expect(history.contains("changes requested by") && history.contains(": split the migration out"))
        #expect(history.contains("#44 plan v2") && history.contains("Second try"))
        let json = try fixture.ppds(["plan", "44", "--history", "--json"]).check().json()
        #expect(json["version"] as? Int == 1)
        #expect((json["history"] as? [[String: Any]])?.count == 2)
        #expect((json["plan"] as? [String: Any])?["version"] as? Int == 2)
        #expect((json["summary"] as? [String: Any])?["state"] as? String == "waiting")

        // Answering v1 now is answering a stale plan: refused, with the next step.
        let stale = try fixture.ppds(["approve", "44", "--version", "1"])
        #expect(stale.status == 2)
        #expect(stale.stderr.contains("plan v1 was replaced by v2") && stale.stderr.contains("ppds plan 44"))
        try fixture.ppds(["approve", "44", "--version", "2"]).check()
        let answers = try plans(44).map { ($0["answers"] as? [[String: Any]] ?? []).map { $0["verdict"] as? String } }
        #expect(answers == [["revise"], ["approved"]])
    }

    @Test func answersOutsidePlanningCompleteAreRefused() throws {
        try fixture.started(45)
        // No plan waits: exit 2, saying what to do instead.
        let notReady = try fixture.ppds(["approve", "45"])
        #expect(notReady.status == 2)
        #expect(notReady.stderr.contains("not planning_complete") && notReady.stderr.contains("ppds guide 45"))
        try fixture.ppds(["update", "45", "--status", "planning_complete"]).check()
        let noPlan = try fixture.ppds(["revise", "45", "more"])
        #expect(noPlan.status == 2 && noPlan.stderr.contains("no plan is attached"))
        let noWords = try fixture.ppds(["revise", "45", "  "])
        #expect(noWords.status == 64)
        // Approved once, a second answer finds the session working.
        try fixture.ppds(["update", "45", "--status", "planning_complete", "--plan", try writePlan("p\n")]).check()
        try fixture.ppds(["approve", "45"]).check()
        let twice = try fixture.ppds(["approve", "45"])
        #expect(twice.status == 2 && twice.stderr.contains("the session is working"))
        // Paused: resume first.
        try fixture.ppds(["update", "45", "--status", "planning_complete", "--plan", try writePlan("p2\n")]).check()
        try fixture.ppds(["pause", "45"]).check()
        let paused = try fixture.ppds(["approve", "45"])
        #expect(paused.status == 2 && paused.stderr.contains("ppds resume 45"))
        // A plan only goes with planning_complete; a missing file is named.
        #expect(try fixture.ppds(["update", "45", "--status", "working", "--plan", "x"]).status == 64)
        try fixture.ppds(["resume", "45"]).check()
        let missing = try fixture.ppds(["update", "45", "--status", "planning_complete", "--plan", fixture.folder.file("nope.md")])
        #expect(missing.status == 2 && missing.stderr.contains("nope.md"))
        // `plan` of a session without one.
        try fixture.started(46)
        let none = try fixture.ppds(["plan", "46"])
        #expect(none.status == 2 && none.stderr.contains("no plan attached"))
    }

    @Test func aPlanOverTheBoundIsRefusedNamingTheLimit() throws {
        try fixture.started(47)
        let big = String(repeating: "x", count: PlanVersion.maxBytes + 1)
        let fromFile = try fixture.ppds(["update", "47", "--status", "planning_complete", "--plan", try writePlan(big)])
        #expect(fromFile.status == 64)
        #expect(fromFile.stderr.contains("at most \(PlanVersion.maxBytes) bytes"))
        let fromStdin = try fixture.ppds(["update", "47", "--status", "planning_complete", "--plan", "-"], stdin: big)
        #expect(fromStdin.status == 64 && fromStdin.stderr.contains("at most \(PlanVersion.maxBytes) bytes"))
        #expect(try sessionJSON(47)["status"] as? String == "registered", "a refused plan changes nothing")
        #expect(try sessionJSON(47)["plans"] == nil)
        // Exactly at the bound is fine.
        try fixture.ppds(["update", "47", "--status", "planning_complete", "--plan", try writePlan(String(repeating: "y", count: PlanVersion.maxBytes))]).check()
    }

    @Test func aHostilePlanCannotReachTheTerminal() throws {
        try fixture.started(48)
        let hostile = "Fine plan\u{1B}]0;owned\u{07}\n\u{1B}[2J\u{1B}[31mred\r\nppds: approved\u{202E}reversed\n"
        try fixture.ppds(["update", "48", "--status", "planning_complete", "--plan", try writePlan(hostile)]).check()
        for arguments in [["plan", "48"], ["plan", "48", "--history"], ["status"], ["show", "48"]] {
            let output = try fixture.ppds(arguments).check().stdout
            #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\r" || $0 == "\u{202E}" }, "\(arguments): \(output.debugDescription)")
        }
        let shown = try fixture.ppds(["plan", "48"]).check().stdout
        #expect(shown.contains("\\e]0;owned"))
        // A line of the plan cannot pass for ppds's own: it is indented.
        #expect(shown.split(separator: "\n").contains { $0.hasPrefix("    ") && $0.contains("ppds: approved") })
        #expect(!shown.split(separator: "\n").contains { $0.hasPrefix("ppds:") })
        // The JSON keeps the words as they are.
        let json = try fixture.ppds(["plan", "48", "--json"]).check().json()
        #expect((json["plan"] as? [String: Any])?["text"] as? String == hostile)
    }

    @Test func nextWalksPlansWaitingForReview() throws {
        try fixture.started(49)
        try fixture.started(50)
        try fixture.ppds(["update", "49", "--status", "planning_complete", "--plan", try writePlan("Plan forty-nine\n")]).check()
        try fixture.ppds(["update", "50", "--status", "planning_complete", "--plan", try writePlan("Plan fifty\n")]).check()
        let walk = try fixture.ppds(["next"], stdin: "a\nkeep it smaller\n").check()
        #expect(walk.stderr.contains("Plan forty-nine") && walk.stderr.contains("Plan fifty"))
        #expect(walk.stdout.contains("#49 plan v1 approved") && walk.stdout.contains("#50 plan v1 sent back"))
        #expect(try sessionJSON(49)["status"] as? String == "working")
        #expect(try sessionJSON(50)["status"] as? String == "planning")
        #expect(((try plans(50).first?["answers"] as? [[String: Any]])?.first?["message"] as? String) == "keep it smaller")
        #expect(try fixture.ppds(["next"], stdin: "").check().stdout.contains("No session is waiting"))
    }

    @Test func aCorruptPlansKeyIsACorruptFileNamedWithTheReason() throws {
        try fixture.started(51)
        var object = try sessionJSON(51)
        object["plans"] = [["version": 2, "text": "b", "at": "2026-01-01T00:00:00Z"], ["version": 1, "text": "a", "at": "2026-01-01T00:00:00Z"]]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: fixture.home + "/sessions/work-51.json"))
        let result = try fixture.ppds(["plan", "51"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("work-51.json") && result.stderr.contains("not in increasing order"))
    }

    /// Claude Code's PreToolUse payload for ExitPlanMode (https://code.claude.com/docs/en/hooks#pretooluse-input).
    func exitPlanMode(cwd: String, plan: String?) throws -> String {
        var input: [String: Any] = [:]
        if let plan { input["plan"] = plan }
        let object: [String: Any] = ["session_id": "abc123", "cwd": cwd, "hook_event_name": "PreToolUse", "permission_mode": "plan",
                                     "transcript_path": "/home/me/.claude/projects/x/t.jsonl", "tool_name": "ExitPlanMode",
                                     "tool_input": input, "tool_use_id": "toolu_01"]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func theExitPlanModeHookRecordsThePlanAndTheApprovalReachesTheAgent() throws {
        let (worktree, _) = try fixture.started(52)
        // The entry agent-hooks writes: PreToolUse with matcher ExitPlanMode.
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(try fixture.ppds(["agent-hooks", "claude", "52"]).check().stdout.utf8)) as? [String: Any])
        let pre = try #require((entries["hooks"] as? [String: Any])?["PreToolUse"] as? [[String: Any]])
        #expect(pre.map { $0["matcher"] as? String } == ["ExitPlanMode"])

        try fixture.ppds(["update", "52", "--status", "planning"]).check()
        let plan = "## Plan\n\n1. Add the limiter\n2. Test it\n"
        let run = try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: try exitPlanMode(cwd: worktree, plan: plan))
        #expect(run.status == 0 && run.stdout.isEmpty, "\(run.stderr)")
        #expect(run.stderr.contains("#52 is now planning_complete"))
        #expect(try sessionJSON(52)["status"] as? String == "planning_complete")
        #expect(try plans(52).map { $0["text"] as? String } == [plan])
        // The same plan offered again is one version.
        try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: try exitPlanMode(cwd: worktree, plan: plan)).check()
        #expect(try plans(52).count == 1)
        // Another tool's PreToolUse is not ppds's business.
        let other = try exitPlanMode(cwd: worktree, plan: nil).replacingOccurrences(of: "ExitPlanMode", with: "Bash")
        #expect(try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: other).check().stderr.contains("ignored"))

        // The approval goes to the agent through the existing relay: at its next prompt.
        try fixture.ppds(["approve", "52", "go"]).check()
        let prompt = String(decoding: try JSONSerialization.data(withJSONObject: ["session_id": "abc123", "cwd": worktree, "hook_event_name": "UserPromptSubmit",
                                                                                   "transcript_path": "/t.jsonl", "prompt": "continue"]), as: UTF8.self)
        let relayed = try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: prompt).check()
        #expect(relayed.stdout.contains("Plan v1 approved: implement it. The reviewer adds: go"))

        // A payload without a plan still records planning_complete (no new version).
        try fixture.ppds(["update", "52", "--status", "planning"]).check()
        try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: try exitPlanMode(cwd: worktree, plan: nil)).check()
        #expect(try sessionJSON(52)["status"] as? String == "planning_complete")
        #expect(try plans(52).count == 1)
        // Accepted in the agent's terminal instead (ExitPlanMode completed): the session works on.
        let accepted = try exitPlanMode(cwd: worktree, plan: nil).replacingOccurrences(of: "PreToolUse", with: "PostToolUse")
        try fixture.ppds(["hook", "claude", "52"], in: worktree, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: accepted).check()
        #expect(try sessionJSON(52)["status"] as? String == "working")
    }

    @Test func aPlanWaitingForReviewIsNotifiedOncePerVersion() throws {
        try fixture.started(53)
        let workspace = try Workspace.locate(repo: fixture.repo, home: fixture.home)
        let notifier = Notifier(config: Config(), home: fixture.home, desktop: false)
        notifier.observe(try StatusReport.build(workspace))
        try fixture.ppds(["update", "53", "--status", "planning_complete", "--plan", "-"], stdin: "Plan \u{1B}[31mred\n").check()
        let events = notifier.observe(try StatusReport.build(workspace))
        #expect(events.map(\.kind) == [.planReady])
        #expect(events.first?.body == "plan v1: Plan \\e[31mred")
        #expect(notifier.observe(try StatusReport.build(workspace)).isEmpty)
        try fixture.ppds(["revise", "53", "smaller"]).check()
        #expect(notifier.observe(try StatusReport.build(workspace)).isEmpty)
        try fixture.ppds(["update", "53", "--status", "planning_complete", "--plan", "-"], stdin: "Plan two\n").check()
        #expect(notifier.observe(try StatusReport.build(workspace)).map(\.body) == ["plan v2: Plan two"])
    }
}
