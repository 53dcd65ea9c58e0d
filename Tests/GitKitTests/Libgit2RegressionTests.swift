import Foundation
import Testing
import TestSupport
@testable import GitKit
import Support

/// Each libgit2 1.5.1 pitfall from the notes, held down by a test.
@Suite struct Libgit2RegressionTests {
    @Test func failedAddLeavesNothingBehind() throws {
        let fixture = try GitFixture()
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("feat", at: try repo.resolveCommit("main"))
        // The target's parent is a file: libgit2 fails half-way through its own work.
        let blocker = fixture.folder.file("blocker")
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        #expect(throws: GitError.self) { try repo.addWorktree(name: "w1", path: blocker + "/w1", branch: "feat") }
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/.git/worktrees/w1"))
        // Past our preconditions, libgit2 itself fails after it made the admin entry: here the
        // target already holds a file (the internal entry point skips our checks on purpose).
        let admin = fixture.repo + "/.git/worktrees"
        let occupied = fixture.folder.file("occupied")
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try "mine".write(toFile: occupied + "/keep.txt", atomically: true, encoding: .utf8)
        #expect(throws: GitError.self) { try repo.addCleaningUp(name: "w2", path: occupied, branch: "feat") }
        #expect(!FileManager.default.fileExists(atPath: admin + "/w2"))
        #expect(try String(contentsOfFile: occupied + "/keep.txt", encoding: .utf8) == "mine")
        // A missing parent: libgit2 fails, nothing is left.
        #expect(throws: GitError.self) { try repo.addCleaningUp(name: "w4", path: fixture.folder.file("no/such/w4"), branch: "feat") }
        #expect(!FileManager.default.fileExists(atPath: admin + "/w4"))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("no")))
        // And the branch is still usable afterwards.
        try repo.addWorktree(name: "w3", path: fixture.folder.file("w3"), branch: "feat")
        #expect(try fixture.git("worktree", "list").contains("w3"))
    }

    @Test func junkEntryDoesNotBreakListingOrBranches() throws {
        let fixture = try GitFixture()
        try fixture.git("worktree", "add", "-q", "-b", "b-before", fixture.folder.file("before"))
        try fixture.git("worktree", "add", "-q", "-b", "b-zafter", fixture.folder.file("zafter"))
        // A half-made entry sorted between the two real ones.
        let junk = fixture.repo + "/.git/worktrees/junk"
        try FileManager.default.createDirectory(atPath: junk, withIntermediateDirectories: true)
        try "garbage".write(toFile: junk + "/gitdir", atomically: true, encoding: .utf8)
        let repo = try Repository.open(at: fixture.repo)
        let names = try repo.worktrees().map(\.name)
        #expect(names.contains("before") && names.contains("zafter") && names.contains("junk"))
        #expect(repo.worktree(named: "junk")?.state == .halfMade)

        let main = try repo.resolveCommit("main")
        try repo.createBranch("fresh", at: main)
        try repo.addWorktree(name: "fresh", path: fixture.folder.file("fresh"), branch: "fresh")
        try repo.createBranch("doomed", at: main)
        try repo.deleteBranch("doomed", expecting: main)
        #expect(try repo.branch("doomed") == nil)
        #expect(try repo.worktreeHolding(branch: "b-zafter") == fixture.folder.file("zafter"))
    }

    @Test func deletedFolderWithoutPruneStillCountsAsCheckedOut() throws {
        let fixture = try GitFixture()
        let path = fixture.folder.file("vanished")
        try fixture.git("worktree", "add", "-q", "-b", "vanished", path)
        try FileManager.default.removeItem(atPath: path)
        let repo = try Repository.open(at: fixture.repo)
        #expect(try repo.worktreeHolding(branch: "vanished") != nil)
        #expect(throws: GitError.self) {
            try repo.addWorktree(name: "again", path: fixture.folder.file("again"), branch: "vanished")
        }
        // git agrees.
        #expect(try fixture.gitResult(["worktree", "add", fixture.folder.file("again2"), "vanished"]).status != 0)
    }

    @Test func linkedWorktreeHeadReadsRight() throws {
        let fixture = try GitFixture()
        let onBranch = fixture.folder.file("on-branch")
        let detached = fixture.folder.file("detached")
        try fixture.git("worktree", "add", "-q", "-b", "on-branch", onBranch)
        try fixture.git("worktree", "add", "-q", "--detach", detached, "main")
        let repo = try Repository.open(at: fixture.repo)
        #expect(try repo.worktree(atPath: onBranch)?.head == .branch("on-branch"))
        let main = try repo.resolveCommit("main")
        #expect(try repo.worktree(atPath: detached)?.head == .detached(main))
        // Moving the branch inside the worktree is seen, as git sees it.
        try fixture.git("checkout", "-q", "-b", "moved", in: onBranch)
        #expect(try repo.worktree(atPath: onBranch)?.head == .branch("moved"))
        #expect(try fixture.git("rev-parse", "--abbrev-ref", "HEAD", in: onBranch) == "moved")
    }
}
