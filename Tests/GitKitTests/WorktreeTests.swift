import Foundation
import Testing
import TestSupport
import GitKit
import Support

@Suite struct WorktreeTests {
    /// A repository with branch `feat` and a libgit2-made worktree for it at `<folder>/wt`.
    func withWorktree() throws -> (GitFixture, Repository, WorktreeInfo) {
        let fixture = try GitFixture()
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("feat", at: try repo.resolveCommit("main"))
        let info = try repo.addWorktree(name: "wt", path: fixture.folder.file("wt"), branch: "feat")
        return (fixture, repo, info)
    }

    @Test func addListsAndReadsHead() throws {
        let (fixture, repo, info) = try withWorktree()
        #expect(info.path == fixture.folder.file("wt"))
        #expect(info.head == .branch("feat"))
        #expect(info.state == .ok)
        #expect(FileManager.default.fileExists(atPath: fixture.folder.file("wt/src/app.txt")))
        let all = try repo.worktrees()
        #expect(all.count == 2)
        #expect(all[0].isMain && all[0].head == .branch("main"))
        #expect(repo.validateWorktree("wt"))
        #expect(try repo.worktree(atPath: fixture.folder.file("wt"))?.name == "wt")
        #expect(try repo.workingTreeStatus(at: info.path).isDirty == false)
    }

    @Test func addFromInsideALinkedWorktree() throws {
        let (fixture, _, _) = try withWorktree()
        let linked = try Repository.discover(from: fixture.folder.file("wt/src"))
        try linked.createBranch("other", at: try linked.resolveCommit("main"))
        let info = try linked.addWorktree(name: "other", path: fixture.folder.file("other"), branch: "other")
        #expect(info.head == .branch("other"))
        #expect(FileManager.default.fileExists(atPath: fixture.repo + "/.git/worktrees/other"))
        #expect(try fixture.git("worktree", "list", "--porcelain").contains(fixture.folder.file("other")))
    }

    @Test func preconditionsAreCheckedFirst() throws {
        let (fixture, repo, _) = try withWorktree()
        try repo.createBranch("b2", at: try repo.resolveCommit("main"))
        let target = fixture.folder.file("new")
        func kind(_ body: () throws -> WorktreeInfo) -> GitError.Kind? {
            do { _ = try body(); return nil } catch { return (error as? GitError)?.kind }
        }
        #expect(kind { try repo.addWorktree(name: "a/b", path: target, branch: "b2") } == .invalidName)
        #expect(kind { try repo.addWorktree(name: "..", path: target, branch: "b2") } == .invalidName)
        #expect(kind { try repo.addWorktree(name: "wt", path: target, branch: "b2") } == .alreadyExists)
        #expect(kind { try repo.addWorktree(name: "n", path: fixture.folder.file("missing/x"), branch: "b2") } == .precondition)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        #expect(kind { try repo.addWorktree(name: "n", path: target, branch: "b2") } == .alreadyExists)
        try FileManager.default.removeItem(atPath: target)
        #expect(kind { try repo.addWorktree(name: "n", path: target, branch: "feat") } == .checkedOut)
        #expect(kind { try repo.addWorktree(name: "n", path: target, branch: "main") } == .checkedOut)
        #expect(kind { try repo.addWorktree(name: "n", path: target, branch: "nope") } == .notFound)
        // None of these left anything behind.
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/.git/worktrees/n"))
    }

    @Test func lockUnlockAndReason() throws {
        let (fixture, repo, _) = try withWorktree()
        #expect(try repo.worktreeLockReason("wt") == nil)
        try repo.lockWorktree("wt", reason: "on a USB disk")
        #expect(try repo.worktreeLockReason("wt") == "on a USB disk")
        #expect(try fixture.git("worktree", "list", "--porcelain").contains("locked on a USB disk"))
        try repo.unlockWorktree("wt")
        #expect(try repo.worktreeLockReason("wt") == nil)
    }

    @Test func dirtyCheckSeesChangesAndUntrackedFiles() throws {
        let (fixture, repo, info) = try withWorktree()
        try "changed\n".write(toFile: fixture.folder.file("wt/README.md"), atomically: true, encoding: .utf8)
        try "new\n".write(toFile: fixture.folder.file("wt/new.txt"), atomically: true, encoding: .utf8)
        let status = try repo.workingTreeStatus(at: info.path)
        #expect(status.changed == 1)
        #expect(status.untracked == 1)
        #expect(status.isDirty)
    }

    @Test func removeRefusesDirtyUnlessForced() throws {
        let (fixture, repo, _) = try withWorktree()
        try "new\n".write(toFile: fixture.folder.file("wt/untracked.txt"), atomically: true, encoding: .utf8)
        do {
            try repo.removeWorktree("wt")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .dirty)
        }
        #expect(FileManager.default.fileExists(atPath: fixture.folder.file("wt/untracked.txt")))
        try repo.removeWorktree("wt", force: true)
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("wt")))
        #expect(repo.worktree(named: "wt") == nil)
    }

    @Test func removeRefusesLockedEvenWhenForcedUnlessOwnLock() throws {
        let (fixture, repo, _) = try withWorktree()
        try fixture.git("worktree", "lock", "--reason", "someone else's", fixture.folder.file("wt"))
        do {
            try repo.removeWorktree("wt", force: true)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .locked)
        }
        do {
            try repo.removeWorktree("wt", force: true, ownLockReason: "ppds")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .locked)
        }
        #expect(FileManager.default.fileExists(atPath: fixture.folder.file("wt/README.md")))
        try fixture.git("worktree", "unlock", fixture.folder.file("wt"))
        try repo.lockWorktree("wt", reason: "ppds")
        try repo.removeWorktree("wt", ownLockReason: "ppds")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("wt")))
    }

    @Test func pruneStaleRemovesGoneAndHalfMadeEntriesButKeepsLocked() throws {
        let (fixture, repo, _) = try withWorktree()
        try fixture.git("worktree", "add", "-q", "-b", "gone", fixture.folder.file("gone"))
        try fixture.git("worktree", "add", "-q", "-b", "kept", fixture.folder.file("kept"))
        try fixture.git("worktree", "lock", fixture.folder.file("kept"))
        try FileManager.default.removeItem(atPath: fixture.folder.file("gone"))
        try FileManager.default.removeItem(atPath: fixture.folder.file("kept"))
        try FileManager.default.createDirectory(atPath: fixture.repo + "/.git/worktrees/junk", withIntermediateDirectories: true)
        let dryRun = try repo.pruneStaleWorktrees(dryRun: true, settle: 0)
        #expect(Set(dryRun.map(\.name)) == ["gone", "junk"])
        #expect(FileManager.default.fileExists(atPath: fixture.repo + "/.git/worktrees/junk"))
        try repo.pruneStaleWorktrees(settle: 0)
        #expect(repo.worktree(named: "gone") == nil)
        #expect(repo.worktree(named: "junk") == nil)
        #expect(repo.worktree(named: "kept")?.state == .folderMissing)
        #expect(repo.worktree(named: "wt")?.state == .ok)
    }

    @Test func youngHalfMadeEntryIsLeftForTheAddInProgress() throws {
        let (fixture, repo, _) = try withWorktree()
        try FileManager.default.createDirectory(atPath: fixture.repo + "/.git/worktrees/busy", withIntermediateDirectories: true)
        #expect(try repo.pruneStaleWorktrees().isEmpty)
        #expect(repo.worktree(named: "busy")?.state == .halfMade)
    }
}

@Suite struct ParallelAddTests {
    /// The first adds of a repository race to create `.git/worktrees`; none may fail for it.
    @Test func parallelFirstAddsDoNotCollide() throws {
        for round in 0..<5 {
            let fixture = try GitFixture()
            let setup = try Repository.open(at: fixture.repo)
            let main = try setup.resolveCommit("main")
            for index in 0..<4 { try setup.createBranch("p\(index)", at: main) }
            let repo = fixture.repo, folder = fixture.folder.path
            let results = parallelMap(Array(0..<4), jobs: 4, context: { try? Repository.open(at: repo) }) { repository, index -> String? in
                do {
                    try repository?.addWorktree(name: "p\(index)", path: "\(folder)/p\(index)", branch: "p\(index)")
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            #expect(results.allSatisfy { $0 == nil }, "round \(round): \(results)")
            #expect(try fixture.git("worktree", "list", "--porcelain").components(separatedBy: "worktree ").count == 6)
        }
    }
}
