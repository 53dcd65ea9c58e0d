import Foundation
import Testing
import TestSupport
import Lifecycle
import SessionKit
import Support
import Agents

/// `ppds agent-hooks claude` and the hidden `ppds hook claude` that its entries run: merging into
/// a settings file someone already has, payloads shaped as Claude Code documents them, and hooks
/// that never fail the agent.
@Suite struct AgentHooksTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    func settingsFile(_ worktree: String) -> String { worktree + "/.claude/settings.local.json" }

    func readJSON(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func session(_ issue: Int) throws -> [String: Any] {
        try readJSON(fixture.home + "/sessions/work-\(issue).json")
    }

    /// The commands of every entry under `event`.
    func commands(_ settings: [String: Any], _ event: String) -> [String] {
        let groups = (settings["hooks"] as? [String: Any])?[event] as? [[String: Any]] ?? []
        return groups.flatMap { ($0["hooks"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String } }
    }

    /// A payload as Claude Code sends it (the hooks reference's fields).
    func payload(_ event: String, cwd: String, _ extra: [String: Any] = [:]) throws -> String {
        var object: [String: Any] = ["session_id": "abc123", "cwd": cwd, "hook_event_name": event,
                                     "transcript_path": "/home/me/.claude/projects/x/00893aaf-19fa-41d2-8238-13269b9b3ca0.jsonl"]
        for (key, value) in extra { object[key] = value }
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// Runs `ppds hook claude <issue>` as Claude Code would: payload on stdin, from the worktree,
    /// with no CLAUDE_PROJECT_DIR from the test's own environment.
    @discardableResult
    func hook(_ arguments: [String], stdin: String, in directory: String? = nil, quiet: Bool = true) throws -> ProcessResult {
        let result = try fixture.ppds(["hook"] + arguments, in: directory, environment: ["CLAUDE_PROJECT_DIR": ""], stdin: stdin)
        #expect(result.status == 0, "a hook exits 0 whatever happens: \(result.stderr)")
        if quiet { #expect(result.stdout.isEmpty, "UserPromptSubmit's stdout would go into the agent's context: \(result.stdout)") }
        return result
    }

    @Test func writeKeepsEveryOtherSettingAndHookAndARerunChangesNothing() throws {
        let (worktree, _) = try fixture.started(7, title: "Seven")
        let file = settingsFile(worktree)
        try FileManager.default.createDirectory(atPath: worktree + "/.claude", withIntermediateDirectories: true)
        let mine = #"""
        {
          "permissions": {"allow": ["Bash(npm test)"], "deny": []},
          "model": "opus",
          "env": {"FOO": "1.5"},
          "cleanupPeriodDays": 1.50,
          "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
            "Notification": [{"matcher": "", "hooks": [
              {"type": "command", "command": "notify-send hi"},
              {"type": "command", "command": "'/old/place/ppds' hook claude 7"}]}]
          }
        }
        """#
        try mine.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let written = try fixture.ppds(["agent-hooks", "claude", "7", "--write"]).check()
        #expect(written.stdout.contains("#7: wrote Claude Code hooks into \(file)"), "\(written.stdout)")

        let settings = try readJSON(file)
        // A private file stays private (settings may hold secrets in `env`).
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        #expect((settings["permissions"] as? [String: Any])?["allow"] as? [String] == ["Bash(npm test)"])
        #expect(settings["model"] as? String == "opus")
        #expect((settings["env"] as? [String: Any])?["FOO"] as? String == "1.5")
        #expect(commands(settings, "PreToolUse").first == "./check.sh")
        // Their order and their numbers as they wrote them; ppds's new events after theirs.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let order = ["\"permissions\"", "\"model\"", "\"env\"", "\"cleanupPeriodDays\": 1.50", "\"hooks\"", "\"PreToolUse\"",
                     "\"Stop\"", "\"Notification\"", "\"UserPromptSubmit\"", "\"PostToolUse\""]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(!positions.contains(nil) && positions.map { $0! } == positions.map { $0! }.sorted(), "\(text)")
        let ours = try #require(commands(settings, "UserPromptSubmit").first)
        #expect(ours.hasSuffix(" hook claude 7") && ours.hasPrefix("'/"))
        #expect(commands(settings, "Stop") == ["say done", ours])
        // The old entry (another executable path) is replaced; the user's command beside it stays.
        #expect(commands(settings, "Notification") == ["notify-send hi", ours])
        #expect(commands(settings, "PostToolUse") == [ours])
        // Theirs first, then ppds's ExitPlanMode entry (plan review).
        #expect(commands(settings, "PreToolUse") == ["./check.sh", ours])
        let stop = (settings["hooks"] as? [String: Any])?["Stop"] as? [[String: Any]]
        let entry = (stop?.last?["hooks"] as? [[String: Any]])?.first
        #expect(entry?["type"] as? String == "command")
        #expect(entry?["timeout"] as? Int == 10)

        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let again = try fixture.ppds(["agent-hooks", "claude", "7", "--write"], in: worktree).check()
        #expect(again.stdout.contains("already current"), "\(again.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        // Ignored, so the worktree stays clean for ship and prune.
        #expect(try fixture.git("status", "--porcelain", in: worktree) == "")
        #expect(try fixture.git("check-ignore", ".claude/settings.local.json", in: worktree) == ".claude/settings.local.json")

        // Printing changes nothing and gives the same entries, as settings JSON.
        let printed = try fixture.ppds(["agent-hooks", "claude", "7"]).check()
        let entries = try #require(JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        for event in ["Notification", "UserPromptSubmit", "Stop", "PostToolUse"] { #expect(commands(entries, event) == [ours]) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
    }

    @Test func parallelStartsAddTheExcludeLineOnce() throws {
        let (result, results) = try fixture.startWork(["21", "22", "23", "24", "--jobs", "4", "--agent", "claude"])
        try result.check()
        #expect(results.count == 4)
        for item in results {
            let hooks = item["hooks"] as? [[String: Any]] ?? []
            #expect(hooks.first?["outcome"] as? String == "ok", "\(hooks)")
            let worktree = try #require(item["worktree"] as? String)
            #expect(FileManager.default.fileExists(atPath: settingsFile(worktree)))
            #expect(try fixture.git("status", "--porcelain", in: worktree) == "")
        }
        let exclude = try String(contentsOfFile: fixture.repo + "/.git/info/exclude", encoding: .utf8)
        #expect(exclude.components(separatedBy: "\n").filter { $0 == "/.claude/settings.local.json" }.count == 1, "\(exclude)")
    }

    @Test func anUnreadableSettingsFileIsNamedAndLeftAlone() throws {
        let (worktree, _) = try fixture.started(8, title: "Eight")
        let file = settingsFile(worktree)
        try FileManager.default.createDirectory(atPath: worktree + "/.claude", withIntermediateDirectories: true)
        for broken in ["{ \"model\": ", #"{"hooks": []}"#, "[1, 2]", #"{"hooks": {"Stop": {"hooks": []}}}"#] {
            try broken.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try fixture.ppds(["agent-hooks", "claude", "8", "--write", "--json"])
            #expect(result.status == 2, "\(broken): \(result.stderr)")
            #expect(result.stderr.contains(file), "\(result.stderr)")
            #expect((try result.json()["error"] as? [String: Any])?["kind"] as? String == "invalid")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == broken)
        }
    }

    @Test func aTrackedSettingsFileIsRefused() throws {
        try fixture.commit(".claude/settings.local.json", "{}\n")
        let (worktree, _) = try fixture.started(9, title: "Nine")
        let result = try fixture.ppds(["agent-hooks", "claude", "9", "--write"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("tracked"), "\(result.stderr)")
        #expect(try String(contentsOfFile: settingsFile(worktree), encoding: .utf8) == "{}\n")
    }

    @Test func unreadGuidanceReachesTheAgentThroughItsHooksOnce() throws {
        let (worktree, _) = try fixture.started(14, title: "Fourteen")
        try fixture.ppds(["update", "14", "--status", "stuck", "--reason", "Sliding or fixed?"]).check()
        try fixture.ppds(["guide", "14", "use sliding"]).check()
        // A notification is not a moment to hand anything over.
        try hook(["claude", "14"], stdin: try payload("Notification", cwd: worktree, ["message": "waiting", "notification_type": "idle_prompt"]))
        // The next prompt: the guidance goes into the agent's context (UserPromptSubmit's stdout), once.
        let prompted = try hook(["claude", "14"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "go on"]), quiet: false)
        #expect(prompted.stdout == "Guidance from the orchestrator for #14, relayed by ppds:\n- use sliding\n")
        #expect(((try session(14)["guidance"] as? [[String: Any]])?.first?["delivered"] as? String) != nil)
        try hook(["claude", "14"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "again"]))
        // At a turn's end (or after a tool call) it is a documented "block" whose reason Claude takes as its next instruction.
        try fixture.ppds(["guide", "14", "and write tests\u{1B}[2J"]).check()
        let stopped = try hook(["claude", "14"], stdin: try payload("Stop", cwd: worktree, ["stop_hook_active": false]), quiet: false)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any])
        #expect(answer["decision"] as? String == "block")
        #expect(answer["reason"] as? String == "Guidance from the orchestrator for #14, relayed by ppds:\n- and write tests\u{1B}[2J")
        try hook(["claude", "14"], stdin: try payload("Stop", cwd: worktree, ["stop_hook_active": true]))
        try fixture.ppds(["guide", "14", "third"]).check()
        let tool = try hook(["claude", "14"], stdin: try payload("PostToolUse", cwd: worktree, ["tool_name": "Bash", "tool_input": [:], "tool_response": [:]]), quiet: false)
        #expect(tool.stdout.contains("\"decision\":\"block\"") && tool.stdout.contains("- third"))
    }

    @Test func payloadsShapedAsDocumentedMoveTheSession() throws {
        let (worktree, _) = try fixture.started(12, title: "Twelve")
        try fixture.ppds(["update", "12", "--status", "working"]).check()
        let sub = worktree + "/src"
        let outside = fixture.folder.path

        // Notification: the agent waits for the human.
        let waiting = try payload("Notification", cwd: sub, ["message": "Claude needs your permission to use Bash",
                                                               "notification_type": "permission_prompt"])
        let said = try hook(["claude", "12"], stdin: waiting, in: outside)
        #expect(said.stderr.contains("#12 is now stuck"), "\(said.stderr)")
        var file = try session(12)
        #expect(file["status"] as? String == "stuck")
        #expect((file["stuck"] as? [String: Any])?["reason"] as? String == "Claude needs your permission to use Bash")

        // Stop: the turn ended, so the wait the hook recorded is over.
        try hook(["claude", "12"], stdin: try payload("Stop", cwd: worktree, ["stop_hook_active": false]))
        file = try session(12)
        #expect(file["status"] as? String == "working")
        #expect(file["stuck"] is NSNull)

        // An idle prompt, then the human types: working.
        try hook(["claude", "12"], stdin: try payload("Notification", cwd: worktree, ["message": "Claude is waiting for your input",
                                                                                       "notification_type": "idle_prompt"]))
        #expect(try session(12)["status"] as? String == "stuck")
        try hook(["claude", "12"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "use the sliding window"]))
        #expect(try session(12)["status"] as? String == "working")

        // No issue in the command: the session is the one whose worktree holds cwd.
        try hook(["claude"], stdin: try payload("Notification", cwd: sub, ["message": "Claude needs your permission to use Edit"]))
        #expect((try session(12)["stuck"] as? [String: Any])?["reason"] as? String == "Claude needs your permission to use Edit")
        try hook(["claude"], stdin: try payload("PostToolUse", cwd: sub, ["tool_name": "Edit", "tool_input": [:], "tool_response": [:]]))
        #expect(try session(12)["status"] as? String == "working")

        // A question the worker asked itself is not replaced by Claude's generic one, nor cleared by Stop.
        try fixture.ppds(["update", "12", "--status", "stuck", "--reason", "Sliding or fixed?", "--option", "sliding"]).check()
        try hook(["claude", "12"], stdin: try payload("Notification", cwd: worktree, ["message": "Claude is waiting for your input",
                                                                                       "notification_type": "idle_prompt"]))
        try hook(["claude", "12"], stdin: try payload("Stop", cwd: worktree, ["stop_hook_active": false]))
        file = try session(12)
        #expect((file["stuck"] as? [String: Any])?["reason"] as? String == "Sliding or fixed?")
        #expect((file["stuck"] as? [String: Any])?["options"] as? [String] == ["sliding"])
        // The human answering in the agent's terminal: working.
        try hook(["claude", "12"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "sliding"]))
        #expect(try session(12)["status"] as? String == "working")

        // A plan waiting for review stays that: it already asks for the human.
        try fixture.ppds(["update", "12", "--status", "planning_complete"]).check()
        try hook(["claude", "12"], stdin: try payload("Notification", cwd: worktree, ["message": "Claude is waiting for your input",
                                                                                       "notification_type": "idle_prompt"]))
        #expect(try session(12)["status"] as? String == "planning_complete")
        try hook(["claude", "12"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "plan approved, go"]))
        #expect(try session(12)["status"] as? String == "working")

        // Not a wait; and a human's pause wins.
        try hook(["claude", "12"], stdin: try payload("Notification", cwd: worktree, ["message": "Signed in", "notification_type": "auth_success"]))
        #expect(try session(12)["status"] as? String == "working")
        try fixture.ppds(["pause", "12"]).check()
        let paused = try hook(["claude", "12"], stdin: try payload("UserPromptSubmit", cwd: worktree, ["prompt": "go"]))
        #expect(paused.stderr.contains("paused"), "\(paused.stderr)")
        #expect(try session(12)["status"] as? String == "paused")
    }

    @Test func badPayloadsAndStrangePlacesExitZeroAndChangeNothing() throws {
        let (worktree, _) = try fixture.started(13, title: "Thirteen")
        let (other, _) = try fixture.started(14, title: "Fourteen")
        let sessionFile = fixture.home + "/sessions/work-13.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: sessionFile))
        let notification = { (cwd: String) in try self.payload("Notification", cwd: cwd, ["message": "Claude needs you"]) }
        let cases: [([String], String)] = [
            (["claude", "13"], "not json at all {"),
            (["claude", "13"], ""),
            (["claude", "13"], "[]"),
            (["claude", "13"], #"{"cwd": "\#(worktree)"}"#),
            (["claude", "13"], try notification("/")),
            (["claude", "13"], try notification("relative/path")),
            (["claude", "13"], try notification(fixture.folder.path + "/no-such-folder")),
            (["claude", "13"], try notification(fixture.repo)),
            (["claude", "13"], try notification(other)),  // another session's worktree: a copied settings file
            (["claude"], try notification(fixture.repo)),
            (["claude", "99"], try notification(worktree)),
            (["claude", "banana"], try notification(worktree)),
            (["claude", "13", "--bogus"], try notification(worktree)),
            (["codex", "13"], try notification(worktree)),
            ([], try notification(worktree)),
            (["claude", "13"], try payload("SessionStart", cwd: worktree, ["source": "startup"])),
        ]
        for (arguments, stdin) in cases {
            let result = try hook(arguments, stdin: stdin, in: fixture.folder.path)
            #expect(result.stderr.hasPrefix("ppds hook: "), "\(arguments) \(stdin): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: sessionFile)) == before, "\(arguments) \(stdin)")
        }
        #expect(try session(14)["status"] as? String == "registered")
    }

    @Test func theGeneratedCommandRunsUnderShFromAnAwkwardPath() throws {
        let (worktree, _) = try fixture.started(15, title: "Fifteen")
        // A link to ppds in a folder whose name has spaces and a single quote (and a $).
        let folder = fixture.folder.path + "/my tools/it's $HOME"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let link = folder + "/ppds"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestEnvironment.ppdsBinary)
        try runProcess(link, ["agent-hooks", "claude", "15", "--write"], in: worktree,
                       environment: ["PPDS_HOME": fixture.home]).check()
        let command = try #require(commands(try readJSON(settingsFile(worktree)), "Notification").first)
        #expect(command == "'\(fixture.folder.path)/my tools/it'\\''s $HOME/ppds' hook claude 15")
        #expect(ClaudeSettings.isOwnCommand(command))

        // As Claude Code runs it: through a shell, in the worktree, the payload on stdin.
        let stdin = try payload("Notification", cwd: worktree, ["message": "Claude needs your permission to use Bash"])
        let result = try runProcess("/bin/sh", ["-c", command], in: worktree,
                                    environment: ["PPDS_HOME": fixture.home, "CLAUDE_PROJECT_DIR": worktree], stdin: stdin)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("#15 is now stuck"), "\(result.stderr)")
        #expect(try session(15)["status"] as? String == "stuck")

        // The same executable again from another path: still one ppds entry per event.
        try fixture.ppds(["agent-hooks", "claude", "15", "--write"]).check()
        let settings = try readJSON(settingsFile(worktree))
        for event in ["Notification", "UserPromptSubmit", "Stop", "PostToolUse"] { #expect(commands(settings, event).count == 1) }
    }

    /// Whatever JSON a settings file holds comes back the same, only with ppds's hooks added.
    @Test func mergingKeepsAnyJSONValueExactly() throws {
        let documents = [
            #"{}"#, "  \n", #"{"a": [], "b": {}, "c": [[]], "d": [{}]}"#,
            #"{"n": [0, -0, 1.5e3, 1E-3, -12.250, 123456789012345678], "t": true, "f": false, "z": null}"#,
            #"{"s": "quote \" back \\ slash \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u2028 é 😀", "\u0041key": "v"}"#,
            #"{"hooks": null, "deep": {"x": {"y": {"z": [1, {"w": "v"}]}}}}"#,
            #"{"hooks": {"Stop": null, "Other": [{"matcher": "x", "hooks": [{"type": "command", "command": "ok"}]}]}}"#,
            #"{"dup": 1, "dup": 2}"#,
        ]
        for document in documents {
            let merged = try ClaudeSettings.merge(Data(document.utf8), command: "'/p/ppds' hook claude 3", file: "f")
            var after = try #require(try JSONValue.parse(merged).objectValue, "\(document)")
            var before = document.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? [:]
                : try #require(try JSONValue.parse(Data(document.utf8)).objectValue)
            var hooks = after.removeValue(forKey: "hooks")?.objectValue ?? [:]
            var theirs = before.removeValue(forKey: "hooks")?.objectValue ?? [:]
            for event in ["Notification", "UserPromptSubmit", "Stop", "PostToolUse", "PreToolUse"] {
                let groups = hooks.removeValue(forKey: event)?.arrayValue ?? []
                #expect(groups.last?.objectValue?["hooks"]?.arrayValue?.first?.objectValue?["command"] == .string("'/p/ppds' hook claude 3"), "\(document)")
                let kept = theirs.removeValue(forKey: event)?.arrayValue ?? []
                #expect(Array(groups.dropLast()) == kept, "\(document)")
            }
            #expect(after == before, "\(document) → \(String(decoding: merged, as: UTF8.self))")
            #expect(hooks == theirs, "\(document)")
            // And a second merge changes nothing.
            #expect(try ClaudeSettings.merge(merged, command: "'/p/ppds' hook claude 3", file: "f") == merged)
        }
    }

    @Test func ownCommandsAreRecognisedAndNothingElse() {
        let issue = IssueNumber(42)!
        for path in ["/usr/local/bin/ppds", "/a b/it's/ppds", "/x/'''/ppds", "/tmp/$(rm -rf ~)/ppds"] {
            let command = ClaudeSettings.command(executable: path, issue: issue)
            #expect(ClaudeSettings.isOwnCommand(command), "\(command)")
        }
        for other in ["ppds hook claude 42", "'/x/ppds' hook claude 42; rm -rf /", "'/x/ppds' hook claude 4x",
                      "'/x/ppds' hook claude", "'/x/ppds' hook claudette 4", "'/x/ppds' status", "notify-send hi", "'/x/ppds"] {
            #expect(ClaudeSettings.isOwnCommand(other) == (other == "'/x/ppds' hook claude"), "\(other)")
        }
    }

    @Test func startWorkWritesTheHooksAndPruneStillRemovesTheWorktree() throws {
        let (result, results) = try fixture.startWork(["16", "--title=Sixteen", "--agent", "claude"])
        try result.check()
        let worktree = try #require(results.first?["worktree"] as? String)
        let hooks = results.first?["hooks"] as? [[String: Any]] ?? []
        #expect(hooks.first?["kind"] as? String == "agent-hooks" && hooks.first?["outcome"] as? String == "ok", "\(hooks)")
        #expect(commands(try readJSON(settingsFile(worktree)), "Stop").first?.hasSuffix(" hook claude 16") == true)
        #expect(try fixture.git("status", "--porcelain", in: worktree) == "")

        try fixture.commit("feature.txt", "feature\n", in: worktree)
        try fixture.ppds(["ship", "16", "--pr", "https://example.com/o/r/pull/16", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge 16", "feat/sixteen")
        let (pruned, byIssue) = try fixture.prune()
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(byIssue["#16"]?["outcome"] as? String == "removed", "\(byIssue)")
        #expect(!FileManager.default.fileExists(atPath: worktree))
    }
}
