import Foundation
import Testing
import TestSupport
import GitKit
import Support

@Suite struct BranchTests {
    @Test func validatesNamesLikeGit() {
        #expect(Repository.isValidBranchName("fix/auth-bug"))
        #expect(!Repository.isValidBranchName("-x"))
        #expect(!Repository.isValidBranchName("HEAD"))
        #expect(!Repository.isValidBranchName("a..b"))
        #expect(!Repository.isValidBranchName("a b"))
        #expect(!Repository.isValidBranchName("x.lock"))
    }

    @Test func createsLooksUpAndDeletesCompareAndSwap() throws {
        let fixture = try GitFixture()
        let repo = try Repository.open(at: fixture.repo)
        let main = try repo.resolveCommit("main")
        try repo.createBranch("feat/one", at: main)
        #expect(try fixture.git("rev-parse", "feat/one") == main.hex)
        #expect(try repo.branch("feat/one")?.target == main)
        #expect(try repo.branch("nope") == nil)
        #expect(try repo.branchNames().contains("feat/one"))

        // Never moves an existing branch.
        #expect(throws: GitError.self) { try repo.createBranch("feat/one", at: main) }

        // A commit lands on the branch after we looked: the delete must refuse.
        try fixture.git("worktree", "add", "-q", fixture.folder.file("wt"), "feat/one")
        let moved = try fixture.commit("new.txt", "x", in: fixture.folder.file("wt"))
        try fixture.git("worktree", "remove", fixture.folder.file("wt"))
        do {
            try repo.deleteBranch("feat/one", expecting: main)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .moved)
        }
        #expect(try fixture.git("rev-parse", "feat/one") == moved)

        try fixture.git("config", "branch.feat/one.remote", "origin")
        try repo.deleteBranch("feat/one", expecting: try #require(ObjectID(hex: moved)))
        #expect(try fixture.gitResult(["rev-parse", "--verify", "-q", "feat/one"]).status != 0)
        #expect(try fixture.gitResult(["config", "--get", "branch.feat/one.remote"]).status != 0)
    }

    @Test func refusesToDeleteACheckedOutBranch() throws {
        let fixture = try GitFixture()
        try fixture.git("worktree", "add", "-q", "-b", "busy", fixture.folder.file("busy"))
        let repo = try Repository.open(at: fixture.repo)
        let tip = try repo.resolveCommit("busy")
        do {
            try repo.deleteBranch("busy", expecting: tip)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .checkedOut)
        }
    }

    @Test func upstreamAndAheadBehind() throws {
        let fixture = try GitFixture()
        let remote = fixture.folder.file("remote.git")
        try fixture.git("init", "-q", "--bare", remote)
        try fixture.git("remote", "add", "origin", remote)
        try fixture.git("push", "-q", "-u", "origin", "main")
        try fixture.commit("a.txt", "a")
        try fixture.commit("b.txt", "b")
        let repo = try Repository.open(at: fixture.repo)
        let branch = try #require(try repo.branch("main"))
        #expect(branch.upstream == "refs/remotes/origin/main")
        let counts = try repo.aheadBehind(branch.target, try #require(branch.upstreamTarget))
        #expect(counts.ahead == 2)
        #expect(counts.behind == 0)
    }
}
