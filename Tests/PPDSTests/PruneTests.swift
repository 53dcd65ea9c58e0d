import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// One scenario per prune outcome, on real repositories, through the built binary.
@Suite struct PruneTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    /// Starts `issue`, commits `file` in its worktree, ships it; returns (worktree, branch).
    func shipped(_ issue: Int, file: String = "feature.txt", content: String = "feature\n") throws -> (String, String) {
        let (worktree, branch) = try fixture.started(issue, title: "Work \(issue)")
        try fixture.commit(file, content, in: worktree)
        try fixture.ppds(["ship", String(issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
        return (worktree, branch)
    }

    func expectGone(_ issue: Int, _ worktree: String, _ branch: String) throws {
        #expect(!FileManager.default.fileExists(atPath: worktree))
        #expect(try !fixture.branchExists(branch))
        #expect(!fixture.sessionFileExists(issue))
        #expect(try !fixture.worktreePaths().contains(worktree))
    }

    @Test func removedAfterAMergeCommit() throws {
        let (worktree, branch) = try shipped(1)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let (result, items) = try fixture.prune()
        try result.check()
        #expect(items["#1"]?["outcome"] as? String == "removed")
        #expect(items["#1"]?["merged"] as? String == "ancestor")
        try expectGone(1, worktree, branch)
    }

    @Test func removedAfterASquashMergeOnceMainMovedOn() throws {
        let (worktree, branch) = try shipped(2)
        try fixture.git("merge", "-q", "--squash", branch)
        try fixture.git("commit", "-q", "-m", "squash (#2)")
        try fixture.commit("later.txt", "main moves on")
        let (_, items) = try fixture.prune()
        #expect(items["#2"]?["outcome"] as? String == "removed")
        #expect(items["#2"]?["merged"] as? String == "merge-adds-nothing")
        try expectGone(2, worktree, branch)
    }

    @Test func removedAfterARebaseMergeViaCherryPick() throws {
        let (worktree, branch) = try shipped(3)
        try fixture.commit("second.txt", "second", in: worktree)
        try fixture.commit("main.txt", "main moves first")
        try fixture.git("cherry-pick", "main.." + branch)
        let (_, items) = try fixture.prune()
        #expect(items["#3"]?["outcome"] as? String == "removed")
        #expect(["merge-adds-nothing", "patch-id"].contains(items["#3"]?["merged"] as? String ?? ""))
        try expectGone(3, worktree, branch)
    }

    @Test func removedAfterASquashThatConflictsInSimulation() throws {
        let (worktree, branch) = try fixture.started(4, title: "Conflicting")
        try fixture.editLine(5, "branch five", message: "edit", in: worktree)
        try fixture.ppds(["ship", "4", "--pr", "https://example.com/o/r/pull/4", "--force"]).check()
        try fixture.git("merge", "-q", "--squash", branch)
        try fixture.git("commit", "-q", "-m", "squash (#4)")
        try fixture.editLine(5, "main rewrote five", message: "later edit of the same line")
        let (_, items) = try fixture.prune()
        #expect(items["#4"]?["outcome"] as? String == "removed")
        #expect(items["#4"]?["merged"] as? String == "patch-id")
        try expectGone(4, worktree, branch)
    }

    @Test func dryRunChangesNothing() throws {
        let (worktree, branch) = try shipped(5)
        try fixture.git("merge", "-q", branch)
        let before = try fixture.git("worktree", "list", "--porcelain")
        let (result, items) = try fixture.prune(["--dry-run"])
        try result.check()
        #expect(items["#5"]?["outcome"] as? String == "wouldRemove")
        #expect(try fixture.git("worktree", "list", "--porcelain") == before)
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(fixture.sessionFileExists(5))
    }

    @Test func keptDirtyUnlessForced() throws {
        let (worktree, branch) = try shipped(6)
        try fixture.git("merge", "-q", branch)
        try "unsaved\n".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8)
        let (_, items) = try fixture.prune()
        #expect(items["#6"]?["outcome"] as? String == "keptDirty")
        #expect(FileManager.default.fileExists(atPath: worktree + "/notes.txt"))
        let (_, forced) = try fixture.prune(["--force"])
        #expect(forced["#6"]?["outcome"] as? String == "removed")
        try expectGone(6, worktree, branch)
    }

    @Test func keptLockedEvenWithEveryOverride() throws {
        let (worktree, branch) = try shipped(7)
        try fixture.git("merge", "-q", branch)
        try fixture.git("worktree", "lock", "--reason", "on a USB disk", worktree)
        let (_, items) = try fixture.prune(["--force", "--force-delete"])
        #expect(items["#7"]?["outcome"] as? String == "keptLocked")
        #expect((items["#7"]?["reason"] as? String ?? "").contains("USB"))
        #expect(FileManager.default.fileExists(atPath: worktree + "/feature.txt"))
        #expect(try fixture.branchExists(branch))
    }

    @Test func cancelledWithUnpushedCommitsIsKeptUnlessForceDelete() throws {
        let (worktree, branch) = try fixture.started(8, title: "Abandoned")
        try fixture.commit("idea.txt", "an idea worth keeping", in: worktree)
        try fixture.ppds(["cancel", "8"]).check()
        let (_, items) = try fixture.prune()
        #expect(items["#8"]?["outcome"] as? String == "keptUnmerged")
        #expect((items["#8"]?["reason"] as? String ?? "").contains("never pushed"))
        #expect(try fixture.branchExists(branch))
        let (_, forced) = try fixture.prune(["--force-delete"])
        #expect(forced["#8"]?["outcome"] as? String == "removed")
        try expectGone(8, worktree, branch)
    }

    @Test func shippedButNotMergedIsKeptUnmerged() throws {
        let (worktree, _) = try shipped(9)
        let (_, items) = try fixture.prune()
        #expect(items["#9"]?["outcome"] as? String == "keptUnmerged")
        #expect(FileManager.default.fileExists(atPath: worktree))
    }

    @Test func activeAndPausedSessionsAreNeverTouched() throws {
        let (worktree, _) = try fixture.started(10, title: "Busy")
        try fixture.started(11, title: "Paused")
        try fixture.ppds(["pause", "11"]).check()
        let (_, items) = try fixture.prune(["--force", "--force-delete", "--min-age", "0"])
        #expect(items["#10"]?["outcome"] as? String == "keptActive")
        #expect(items["#11"]?["outcome"] as? String == "keptActive")
        #expect(FileManager.default.fileExists(atPath: worktree))
    }

    @Test func freshBranchIsKeptTooNewThenRemoved() throws {
        let (worktree, branch) = try fixture.started(12, title: "Fresh")
        try fixture.ppds(["cancel", "12"]).check()
        let (_, items) = try fixture.prune()
        #expect(items["#12"]?["outcome"] as? String == "keptTooNew")
        #expect(FileManager.default.fileExists(atPath: worktree))
        let (_, later) = try fixture.prune(["--min-age", "0"])
        #expect(later["#12"]?["outcome"] as? String == "removed")
        try expectGone(12, worktree, branch)
    }

    @Test func anUnresolvableBaseFailsWithExitOne() throws {
        let (worktree, branch) = try shipped(13)
        let file = fixture.home + "/sessions/work-13.json"
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"base\": \"main\"", with: "\"base\": \"origin/gone\"")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let (result, items) = try fixture.prune()
        #expect(result.status == 1)
        #expect(items["#13"]?["outcome"] as? String == "failed")
        #expect((items["#13"]?["reason"] as? String ?? "").contains("origin/gone"))
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try fixture.branchExists(branch))
    }

    @Test func mostFoldersMissingStopsThePrune() throws {
        var worktrees: [String] = []
        for issue in 20...22 {
            let (worktree, branch) = try shipped(issue, file: "f\(issue).txt")
            try fixture.git("merge", "-q", "--no-ff", "-m", "merge \(issue)", branch)
            worktrees.append(worktree)
        }
        try FileManager.default.removeItem(atPath: worktrees[0])
        try FileManager.default.removeItem(atPath: worktrees[1])
        let before = try fixture.git("worktree", "list", "--porcelain")
        let (result, _) = try fixture.prune()
        #expect(result.status == 2)
        #expect(result.stderr.contains("doctor"))
        #expect(try fixture.git("worktree", "list", "--porcelain") == before)
        #expect((20...22).allSatisfy { fixture.sessionFileExists($0) })
    }

    @Test func allAddsWorktreesNoSessionOwns() throws {
        let path = fixture.folder.file("by-hand")
        try fixture.git("worktree", "add", "-q", "-b", "by-hand", path)
        try fixture.commit("h.txt", "h", in: path)
        try fixture.git("merge", "-q", "by-hand")
        let (_, without) = try fixture.prune()
        #expect(without.isEmpty)
        let (_, with) = try fixture.prune(["--all"])
        #expect(with[path]?["outcome"] as? String == "removed")
        #expect(!FileManager.default.fileExists(atPath: path))
        // ppds did not create the branch (no session recorded where it began): it stays.
        #expect(try fixture.branchExists("by-hand"))
        #expect((with[path]?["reason"] as? String ?? "").contains("by-hand kept"))
    }

    @Test func aDetachedWorktreeWithItsOwnCommitsIsKept() throws {
        let path = fixture.folder.file("detached")
        try fixture.git("worktree", "add", "-q", "--detach", path, "main")
        let orphan = try fixture.commit("d.txt", "only reachable from this HEAD", in: path)
        let (_, items) = try fixture.prune(["--all"])
        #expect(items[path]?["outcome"] as? String == "keptUnmerged")
        #expect(try fixture.git("rev-parse", "HEAD", in: path) == orphan)
        try fixture.git("merge", "-q", orphan)
        let (_, merged) = try fixture.prune(["--all"])
        #expect(merged[path]?["outcome"] as? String == "removed")
    }

    @Test func staleAdminEntriesArePrunedToo() throws {
        let path = fixture.folder.file("vanished")
        try fixture.git("worktree", "add", "-q", "-b", "vanished", path)
        try FileManager.default.removeItem(atPath: path)
        let result = try fixture.ppds(["prune", "--json"]).check()
        #expect((try result.json()["staleWorktreeEntries"] as? [String]) == [path])
        #expect(try fixture.worktreePaths() == [fixture.repo])
    }

    @Test func afterPruneGitAgrees() throws {
        let (_, merged) = try shipped(30)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", merged)
        let (keptTree, keptBranch) = try fixture.started(31, title: "Still going")
        try fixture.prune().0.check()
        #expect(try fixture.worktreePaths() == [fixture.repo, keptTree])
        let branches = try fixture.git("branch", "--format=%(refname:short)").split(separator: "\n").map(String.init)
        #expect(branches.sorted() == [keptBranch, "main"].sorted())
        #expect(try fixture.gitResult(["worktree", "prune", "--dry-run", "-v"]).stdout.isEmpty)
        try fixture.git("fsck", "--no-progress")
    }

    @Test func cancelRemoveUsesTheSameSafety() throws {
        let (worktree, branch) = try fixture.started(40, title: "Cancel me")
        try "scratch\n".write(toFile: worktree + "/scratch.txt", atomically: true, encoding: .utf8)
        let kept = try fixture.ppds(["cancel", "40", "--remove", "--json"])
        #expect(((try kept.json()["results"] as? [[String: Any]])?.first?["outcome"] as? String) == "keptDirty")
        try fixture.ppds(["cancel", "40", "--remove", "--force"]).check()
        try expectGone(40, worktree, branch)
    }
}
