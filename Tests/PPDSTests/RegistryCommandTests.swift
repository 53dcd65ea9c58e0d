import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// The registry commands through the built binary: exit codes, JSON, inferred issue.
@Suite struct RegistryCommandTests {
    /// A repository with a git-made worktree for branch feat/x and a session file for #12 that
    /// another tool wrote (with a key ppds does not know).
    func fixtureWithSession() throws -> GitFixture {
        let fixture = try GitFixture()
        let worktree = fixture.folder.file("repo-x")
        try fixture.git("worktree", "add", "-q", "-b", "feat/x", worktree)
        try FileManager.default.createDirectory(atPath: fixture.home + "/sessions", withIntermediateDirectories: true)
        let now = ISO8601DateFormatter().string(from: Date())
        try """
        {"id": "work-12", "status": "working", "issue": "#12", "branch": "feat/x", "worktree": "\(worktree)",
         "started": "\(now)", "lastUpdate": "\(now)", "stuck": null, "repo": "\(fixture.repo)", "base": "main",
         "editor": {"pid": 4242}}
        """.write(toFile: fixture.home + "/sessions/work-12.json", atomically: true, encoding: .utf8)
        return fixture
    }

    @Test func updateStuckThenStatusJSON() throws {
        let fixture = try fixtureWithSession()
        try fixture.ppds(["update", "12", "--status", "stuck", "--reason", "Auth/Security decision needed",
                          "--context", "sliding or fixed?", "--option", "sliding", "--option", "fixed"]).check()
        let json = try fixture.ppds(["status", "--json"]).check().json()
        #expect(json["version"] as? Int == 1)
        let sessions = try #require(json["sessions"] as? [[String: Any]])
        #expect(sessions.count == 1)
        let session = sessions[0]
        #expect(session["status"] as? String == "stuck")
        #expect((session["editor"] as? [String: Any])?["pid"] as? Int == 4242)
        let stuck = try #require(session["stuck"] as? [String: Any])
        #expect(stuck["options"] as? [String] == ["sliding", "fixed"])
        let git = try #require(session["git"] as? [String: Any])
        #expect(git["worktreeExists"] as? Bool == true)
        #expect(git["branchExists"] as? Bool == true)
        #expect(git["ahead"] as? Int == 0)
        let text = try fixture.ppds(["status"]).check().stdout
        #expect(text.contains("🟡 Stuck: 1 session"))
        #expect(text.contains("#12 feat/x: \"Auth/Security decision needed\""))
        #expect(text.contains("Options: sliding, fixed"))
    }

    @Test func issueIsInferredInsideTheWorktree() throws {
        let fixture = try fixtureWithSession()
        let inside = fixture.folder.file("repo-x/src")
        try fixture.ppds(["update", "--status", "planning"], in: inside).check()
        let shown = try fixture.ppds(["show", "--json"], in: inside).check().json()
        #expect((shown["session"] as? [String: Any])?["status"] as? String == "planning")
        // Outside any worktree, the issue is required.
        #expect(try fixture.ppds(["update", "--status", "working"], in: fixture.folder.path).status == 64)
    }

    @Test func exitCodesFollowTheContract() throws {
        let fixture = try fixtureWithSession()
        // Usage errors name the value.
        for bad in ["abc", "0", "-3", "12abc", "../x"] {
            let result = try fixture.ppds(["show", bad])
            #expect(result.status == 64, "\(bad)")
            #expect(result.stderr.contains(bad))
        }
        let unknown = try fixture.ppds(["update", "12", "--status", "bogus"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("bogus"))
        #expect(try fixture.ppds(["update", "12", "--status", "stuck"]).status == 64)
        // Refusals: missing session, paused, terminal.
        let missing = try fixture.ppds(["show", "99"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("#99"))
        try fixture.ppds(["pause", "12"]).check()
        let paused = try fixture.ppds(["update", "12", "--status", "working"])
        #expect(paused.status == 2)
        #expect(paused.stderr.contains("paused"))
        try fixture.ppds(["update", "12", "--status", "working", "--force"]).check()
        try fixture.ppds(["guide", "12", "try the fixed window"]).check()
        try fixture.ppds(["update", "12", "--status", "complete", "--pr", "https://example.com/o/r/pull/7"]).check()
        #expect(try fixture.ppds(["update", "12", "--status", "working"]).status == 2)
        #expect(try fixture.ppds(["resume", "12"]).status == 2)
        let shown = try fixture.ppds(["show", "12"]).check().stdout
        #expect(shown.contains("try the fixed window"))
        // Not a git repository.
        let outside = TemporaryFolder()
        #expect(try fixture.ppds(["status"], in: outside.path).status == 2)
    }

    @Test func aCorruptFileIsReportedAndTheRestStillWork() throws {
        let fixture = try fixtureWithSession()
        try "{broken".write(toFile: fixture.home + "/sessions/work-13.json", atomically: true, encoding: .utf8)
        let json = try fixture.ppds(["status", "--json"]).check().json()
        #expect((json["sessions"] as? [Any])?.count == 1)
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["kind"] as? String == "corruptSessionFile" && ($0["file"] as? String ?? "").hasSuffix("work-13.json") })
        let needed = try fixture.ppds(["update", "13", "--status", "working"])
        #expect(needed.status == 2)
        #expect(needed.stderr.contains("work-13.json"))
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-13.json", encoding: .utf8) == "{broken")
    }
}
