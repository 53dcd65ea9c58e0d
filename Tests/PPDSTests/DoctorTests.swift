import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// One scenario per doctor kind, made behind ppds's back with the git CLI, and `--fix` for each
/// kind it claims to fix.
@Suite struct DoctorTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    func doctor(_ arguments: [String] = []) throws -> (ProcessResult, [[String: Any]], [String: Any]) {
        let result = try fixture.ppds(["doctor", "--json"] + arguments)
        let json = try result.json()
        return (result, json["remaining"] as? [[String: Any]] ?? [], json)
    }

    func kinds(_ problems: [[String: Any]]) -> [String] {
        problems.compactMap { $0["kind"] as? String }.sorted()
    }

    @Test func healthyRepositoryExitsZero() throws {
        try fixture.started(1, title: "Fine")
        let (result, remaining, json) = try doctor()
        #expect(result.status == 0)
        #expect(remaining.isEmpty)
        #expect(json["version"] as? Int == 1)
        #expect(try fixture.ppds(["doctor"]).stdout.contains("healthy"))
    }

    @Test func sessionWithoutWorktreeIsMarkedByFix() throws {
        let (worktree, branch) = try fixture.started(2, title: "Removed by hand")
        try fixture.ppds(["cancel", "2"]).check()
        try fixture.git("worktree", "remove", "--force", worktree)
        let (result, problems, _) = try doctor()
        #expect(result.status == 1)
        #expect(kinds(problems) == ["sessionWithoutWorktree"])
        #expect(problems.first?["issue"] as? String == "#2")
        #expect(problems.first?["fixable"] as? Bool == true)
        let (fixed, remaining, json) = try doctor(["--fix"])
        #expect(fixed.status == 0, "\(json)")
        #expect(remaining.isEmpty)
        #expect(try fixture.branchExists(branch))
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-2.json", encoding: .utf8).contains("worktreeGone"))
    }

    @Test func worktreeWithoutSessionIsReportedNotRemoved() throws {
        let path = fixture.folder.file("behind-the-back")
        try fixture.git("worktree", "add", "-q", "-b", "sneaky", path)
        let (result, problems, _) = try doctor(["--fix"])
        #expect(result.status == 1)
        #expect(kinds(problems) == ["worktreeWithoutSession"])
        #expect(problems.first?["fixable"] as? Bool == false)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func branchMismatchAfterCheckoutInsideTheWorktree() throws {
        let (worktree, _) = try fixture.started(3, title: "Mismatch")
        try fixture.git("checkout", "-q", "-b", "elsewhere", in: worktree)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["branchMismatch"])
        #expect((problems.first?["message"] as? String ?? "").contains("elsewhere"))
        let status = try fixture.ppds(["status", "--json"]).check().json()
        #expect((status["problems"] as? [[String: Any]] ?? []).contains { $0["kind"] as? String == "branchMismatch" })
    }

    @Test func branchMissingAfterADetachAndDelete() throws {
        let (worktree, branch) = try fixture.started(4, title: "Missing branch")
        try fixture.git("checkout", "-q", "--detach", in: worktree)
        try fixture.git("branch", "-D", branch)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["branchMismatch", "branchMissing"])
    }

    @Test func staleWorktreeEntriesArePrunedByFix() throws {
        let path = fixture.folder.file("gone")
        try fixture.git("worktree", "add", "-q", "-b", "gone", path)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: fixture.repo + "/.git/worktrees/half", withIntermediateDirectories: true)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["staleWorktreeEntry", "staleWorktreeEntry"])
        let (fixed, remaining, _) = try doctor(["--fix"])
        #expect(fixed.status == 0)
        #expect(remaining.isEmpty)
        #expect(try fixture.branchExists("gone"))
        #expect(try fixture.worktreePaths() == [fixture.repo])
    }

    @Test func corruptSessionFileIsMovedAsideNeverDeleted() throws {
        try fixture.started(5, title: "Good")
        try "{\"id\": \"work-6\", ".write(toFile: fixture.home + "/sessions/work-6.json", atomically: true, encoding: .utf8)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["corruptSessionFile"])
        let (fixed, _, json) = try doctor(["--fix"])
        #expect(fixed.status == 0)
        let moved = try FileManager.default.contentsOfDirectory(atPath: fixture.home + "/corrupt")
        #expect(moved.count == 1)
        #expect(try String(contentsOfFile: fixture.home + "/corrupt/" + moved[0], encoding: .utf8) == "{\"id\": \"work-6\", ")
        #expect(((json["repairs"] as? [String]) ?? []).contains { $0.contains("moved") })
        #expect(fixture.sessionFileExists(5))
    }

    @Test func duplicateClaimOfOneWorktree() throws {
        let (worktree, _) = try fixture.started(7, title: "Claimed twice")
        let text = try String(contentsOfFile: fixture.home + "/sessions/work-7.json", encoding: .utf8)
            .replacingOccurrences(of: "work-7", with: "work-8").replacingOccurrences(of: "\"#7\"", with: "\"#8\"")
        try text.write(toFile: fixture.home + "/sessions/work-8.json", atomically: true, encoding: .utf8)
        let (_, problems, _) = try doctor()
        let duplicates = problems.filter { $0["kind"] as? String == "duplicateClaim" }
        #expect(duplicates.count == 2)  // the folder and the branch
        #expect(duplicates.contains { $0["worktree"] as? String == worktree })
    }

    @Test func staleSessionIsAHint() throws {
        try fixture.started(9, title: "Quiet")
        let file = fixture.home + "/sessions/work-9.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let old = try #require(text.range(of: "\"lastUpdate\": \"[^\"]+\"", options: .regularExpression))
        try text.replacingCharacters(in: old, with: "\"lastUpdate\": \"2020-01-01T00:00:00Z\"").write(toFile: file, atomically: true, encoding: .utf8)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["staleSession"])
        #expect(problems.first?["fixable"] as? Bool == false)
        let status = try fixture.ppds(["status", "--json", "--stale-after", "10000d"]).check().json()
        #expect((status["problems"] as? [Any])?.isEmpty == true)
    }

    @Test func interruptedStartIsRolledBackAndTheRerunSucceeds() throws {
        let killed = try fixture.ppds(["start-work", "10", "--offline", "--title", "Killed"], environment: ["PPDS_FAULT": "afterWorktree:kill"])
        #expect(killed.status == 9)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems) == ["interruptedOperation"])
        let (fixed, remaining, _) = try doctor(["--fix"])
        #expect(fixed.status == 0)
        #expect(remaining.isEmpty)
        #expect(try fixture.worktreePaths() == [fixture.repo])
        #expect(try !fixture.branchExists("feat/killed"))
        try fixture.started(10, title: "Killed")
        #expect(try doctor().0.status == 0)
    }

    @Test func rollbackKeepsAWorktreeSomeoneWroteIn() throws {
        let killed = try fixture.ppds(["start-work", "12", "--offline", "--title", "Touched"], environment: ["PPDS_FAULT": "afterWorktree:kill"])
        #expect(killed.status == 9)
        let worktree = fixture.folder.file("repo-touched")
        try "my notes\n".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8)
        let (fixed, remaining, json) = try doctor(["--fix"])
        #expect(fixed.status == 1)
        #expect(kinds(remaining).contains("interruptedOperation"))
        #expect(((json["repairs"] as? [String]) ?? []).contains { $0.contains("kept worktree") })
        #expect(try String(contentsOfFile: worktree + "/notes.txt", encoding: .utf8) == "my notes\n")
        #expect(try fixture.branchExists("feat/touched"))
    }

    @Test func interruptedPruneIsFinished() throws {
        let (worktree, branch) = try fixture.started(11, title: "Prune me")
        try fixture.commit("f.txt", "f", in: worktree)
        try fixture.ppds(["ship", "11", "--pr", "https://example.com/o/r/pull/11", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let killed = try fixture.ppds(["prune"], environment: ["PPDS_FAULT": "pruneAfterWorktree:kill"])
        #expect(killed.status == 9)
        let (_, problems, _) = try doctor()
        #expect(kinds(problems).contains("interruptedOperation"))
        let (fixed, remaining, json) = try doctor(["--fix"])
        #expect(fixed.status == 0, "\(json)")
        #expect(remaining.isEmpty)
        #expect(try !fixture.branchExists(branch))
        #expect(!fixture.sessionFileExists(11))
    }

    @Test func pruneKilledWhileDeletingABranchLeavesALockThatRecoveryClears() throws {
        let (worktree, branch) = try fixture.started(13, title: "Locked ref")
        try fixture.commit("f.txt", "f", in: worktree)
        try fixture.ppds(["ship", "13", "--pr", "https://example.com/o/r/pull/13", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        #expect(try fixture.ppds(["prune"], environment: ["PPDS_FAULT": "pruneAfterWorktree:kill"]).status == 9)
        // What a kill inside the ref deletion leaves: the ref's lock file.
        try (try fixture.git("rev-parse", branch) + "\n").write(toFile: fixture.repo + "/.git/refs/heads/\(branch).lock", atomically: true, encoding: .utf8)
        let (fixed, remaining, json) = try doctor(["--fix"])
        #expect(fixed.status == 0, "\(json)")
        #expect(remaining.isEmpty)
        #expect(try !fixture.branchExists(branch))
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/.git/refs/heads/\(branch).lock"))
        #expect(!fixture.sessionFileExists(13))
    }

    /// The state a prune killed inside the worktree removal leaves: an intent record of a dead
    /// process and a half-deleted folder.
    func halfRemoved(_ issue: Int, extraFile: Bool) throws -> (String, String) {
        let (worktree, branch) = try fixture.started(issue, title: "Half removed \(issue)")
        try fixture.commit("f.txt", "f", in: worktree)
        try fixture.ppds(["ship", String(issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let tip = try fixture.git("rev-parse", branch)
        try FileManager.default.createDirectory(atPath: fixture.home + "/intents", withIntermediateDirectories: true)
        try """
        {"operation": "prune", "issue": \(issue), "repo": "\(fixture.repo)", "branch": "\(branch)", "worktree": "\(worktree)",
         "adminName": "repo-half-removed-\(issue)", "commit": "\(tip)", "pid": 999999, "created": "2026-01-01T00:00:00Z"}
        """.write(toFile: fixture.home + "/intents/prune-\(issue).json", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: worktree + "/src")
        if extraFile { try "mine\n".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8) }
        return (worktree, branch)
    }

    /// Issue 18: a record is never a licence. The worktree the record names is judged again
    /// (git sees deleted files: changes), so it stays, with its branch; the record is cleared.
    @Test func aHalfRemovedWorktreeIsJudgedAgain() throws {
        let (worktree, branch) = try halfRemoved(14, extraFile: false)
        let (_, _, json) = try doctor(["--fix"])
        #expect(FileManager.default.fileExists(atPath: worktree + "/f.txt"), "\(json)")
        #expect(try fixture.branchExists(branch))
        #expect(IntentStore(home: fixture.home).all().intents.isEmpty)
    }

    @Test func aHalfRemovedWorktreeWithNewWorkIsKept() throws {
        let (worktree, _) = try halfRemoved(15, extraFile: true)
        _ = try doctor(["--fix"])
        #expect(try String(contentsOfFile: worktree + "/notes.txt", encoding: .utf8) == "mine\n")
        #expect(fixture.sessionFileExists(15))
    }

    @Test func killNineOfABulkStartAtManyPointsThenFixThenRerun() throws {
        let checkpoints = ["afterIntent", "afterBranch", "afterWorktree", "afterSession"]
        for (round, checkpoint) in checkpoints.enumerated() {
            let issues = (0..<4).map { String(100 + round * 10 + $0) }
            let killed = try fixture.ppds(["start-work", "--offline", "--jobs", "2"] + issues, environment: ["PPDS_FAULT": "\(checkpoint):kill"])
            #expect(killed.status == 9, "\(checkpoint)")
            try fixture.ppds(["doctor", "--fix"])
            let (result, remaining, _) = try doctor()
            #expect(result.status == 0, "\(checkpoint): \(remaining)")
            let rerun = try fixture.ppds(["start-work", "--offline", "--jobs", "2", "--json"] + issues)
            #expect(rerun.status == 0, "\(checkpoint): \(rerun.stderr)")
            #expect(try doctor().0.status == 0, "\(checkpoint)")
        }
        // Every issue ended with exactly one worktree, and git agrees with the session files.
        let sessions = try FileManager.default.contentsOfDirectory(atPath: fixture.home + "/sessions").filter { $0.hasSuffix(".json") }
        #expect(sessions.count == 16)
        #expect(try fixture.worktreePaths().count == 17)
    }
}
