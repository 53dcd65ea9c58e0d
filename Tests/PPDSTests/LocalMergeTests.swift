import Foundation
import Testing
import TestSupport

/// Merges as people make them: locally before pushing, or on the forge and then fetched.
@Suite struct LocalMergeTests {
    let fixture: GitFixture

    init() throws {
        fixture = try GitFixture()
        try fixture.addBareOrigin(fileURL: false)
    }

    func shipped(_ issue: Int) throws -> (worktree: String, branch: String) {
        let (worktree, branch) = try fixture.started(issue, title: "Work \(issue)")
        try fixture.commit("f\(issue).txt", "work \(issue)", in: worktree)
        try fixture.ppds(["ship", String(issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
        return (worktree, branch)
    }

    @Test func aLocalMergeNotYetPushedIsMerged() throws {
        let (worktree, branch) = try shipped(1)
        let shown = try fixture.ppds(["show", "1", "--json"]).json()
        #expect((shown["session"] as? [String: Any])?["base"] as? String == "origin/main")
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge locally", branch)
        let (result, items) = try fixture.prune()
        try result.check()
        #expect(items["#1"]?["outcome"] as? String == "removed")
        #expect((items["#1"]?["reason"] as? String ?? "").contains("into main"))
        #expect(!FileManager.default.fileExists(atPath: worktree))
    }

    @Test func anUnmergedBranchSaysHowOldTheFetchIsAndSuggestsFetchingFirst() throws {
        let (_, branch) = try shipped(2)
        let (_, items) = try fixture.prune()
        let reason = items["#2"]?["reason"] as? String ?? ""
        #expect(items["#2"]?["outcome"] as? String == "keptUnmerged")
        #expect(reason.contains("origin/main was last fetched"), "\(reason)")
        #expect(reason.contains("--fetch"))
        #expect(reason.range(of: "--fetch")!.lowerBound < reason.range(of: "--force-delete")!.lowerBound)
        #expect(try fixture.branchExists(branch))
    }

    @Test func pruneBaseChecksAgainstTheNamedBaseOnly() throws {
        let (_, branch) = try shipped(3)
        try fixture.git("branch", "release", branch)
        let (_, dry) = try fixture.prune(["--base", "release", "--dry-run"])
        #expect(dry["#3"]?["outcome"] as? String == "wouldRemove")
        let (_, kept) = try fixture.prune(["--base", "origin/main"])
        #expect(kept["#3"]?["outcome"] as? String == "keptUnmerged")
        // `--base main` is an option, not an issue number.
        #expect(try fixture.ppds(["prune", "3", "--base", "main", "--dry-run"]).status == 0)
    }

    @Test func pruneFromInsideTheWorktreeKeepsThatOne() throws {
        let (worktree, branch) = try shipped(4)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let inside = try fixture.ppds(["prune", "--json"], in: worktree + "/")
        let item = (try inside.json()["results"] as? [[String: Any]])?.first
        #expect(item?["outcome"] as? String == "keptInUse")
        #expect(FileManager.default.fileExists(atPath: worktree))
        let (_, items) = try fixture.prune()
        #expect(items["#4"]?["outcome"] as? String == "removed")
    }

    /// `--base HEAD` inside a linked worktree is that worktree's HEAD, recorded by name.
    @Test func baseHeadMeansTheWorktreeItRunsIn() throws {
        let (worktree, branch) = try shipped(5)
        let tip = try fixture.git("rev-parse", "HEAD", in: worktree)
        let result = try fixture.ppds(["start-work", "6", "--offline", "--title", "On top", "--base", "HEAD", "--json"], in: worktree)
        try result.check()
        let session = try #require((try result.json()["results"] as? [[String: Any]])?.first)
        #expect(session["base"] as? String == branch)
        #expect(session["baseCommit"] as? String == tip)
    }

    @Test func aRepositoryWithNoCommitsSaysSo() throws {
        let empty = fixture.folder.file("empty")
        try fixture.git("init", "-q", "-b", "main", empty)
        let result = try fixture.ppds(["start-work", "1", "--offline"], in: empty)
        #expect(result.status != 0)
        #expect((result.stdout + result.stderr).contains("no commits yet"), "\(result.stdout) \(result.stderr)")
    }

    /// Squash-merged on the forge, not fetched yet: kept; with --fetch, pruned.
    @Test func pruneFetchSeesWhatTheForgeMerged() throws {
        let (worktree, branch) = try shipped(7)
        let origin = fixture.folder.file("origin.git")
        let forge = fixture.folder.file("forge")
        try fixture.git("push", "-q", "origin", branch)
        try fixture.git("clone", "-q", origin, forge)
        try fixture.git("merge", "-q", "--squash", "origin/" + branch, in: forge)
        try fixture.git("commit", "-q", "-m", "Squash #7", in: forge)
        try fixture.git("push", "-q", "origin", "main", in: forge)
        let (_, before) = try fixture.prune()
        #expect(before["#7"]?["outcome"] as? String == "keptUnmerged")
        let (result, after) = try fixture.prune(["--fetch"])
        try result.check()
        #expect(after["#7"]?["outcome"] as? String == "removed", "\(after)")
        #expect(!FileManager.default.fileExists(atPath: worktree))
    }
}
