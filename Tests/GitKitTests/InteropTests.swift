import Foundation
import Testing
import TestSupport
import GitKit
import Support

/// Worktrees made by one side are understood by the other.
@Suite struct InteropTests {
    @Test func libgit2WorktreeIsListedLockedAndRemovedByGit() throws {
        let fixture = try GitFixture()
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("feat/x", at: try repo.resolveCommit("main"))
        let path = fixture.folder.file("x")
        try repo.addWorktree(name: "x", path: path, branch: "feat/x")

        let list = try fixture.git("worktree", "list", "--porcelain")
        #expect(list.contains("worktree \(path)\n"))
        #expect(list.contains("branch refs/heads/feat/x"))
        #expect(try fixture.git("status", "--porcelain", in: path).isEmpty)
        #expect(try fixture.git("rev-parse", "--abbrev-ref", "HEAD", in: path) == "feat/x")

        try fixture.git("worktree", "lock", "--reason", "test", path)
        #expect(try repo.worktreeLockReason("x") == "test")
        #expect(try fixture.gitResult(["worktree", "remove", path]).status != 0)
        try fixture.git("worktree", "unlock", path)
        try fixture.git("worktree", "remove", path)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try repo.worktrees().count == 1)
    }

    @Test func gitWorktreeIsListedValidatedAndLockedByTheLayer() throws {
        let fixture = try GitFixture()
        let path = fixture.folder.file("made-by-git")
        try fixture.git("worktree", "add", "-q", "-b", "by-git", path)
        let repo = try Repository.open(at: fixture.repo)
        let info = try #require(try repo.worktree(atPath: path))
        #expect(info.head == .branch("by-git"))
        #expect(info.state == .ok)
        #expect(repo.validateWorktree(info.name))
        #expect(try repo.worktreeHolding(branch: "by-git") == path)

        try repo.lockWorktree(info.name, reason: "layer lock")
        #expect(try fixture.git("worktree", "list", "--porcelain").contains("locked layer lock"))
        #expect(try fixture.gitResult(["worktree", "remove", path]).status != 0)
        try repo.unlockWorktree(info.name)
        try repo.removeWorktree(info.name)
        #expect(try fixture.git("worktree", "list", "--porcelain").components(separatedBy: "worktree ").count == 2)
    }
}
