import Foundation
import Testing
import TestSupport
import GitKit
import Support

/// Each rung of the cheap-first ladder, hit by a purpose-built branch.
@Suite struct MergeLadderTests {
    let fixture: GitFixture
    let repo: Repository

    init() throws {
        fixture = try GitFixture()
        repo = try Repository.open(at: fixture.repo)
    }

    func branch(_ name: String, from base: String = "main") throws {
        try fixture.git("branch", name, base)
    }

    func onBranch(_ name: String, _ body: () throws -> Void) throws {
        try fixture.git("checkout", "-q", name)
        try body()
        try fixture.git("checkout", "-q", "main")
    }

    func classify(_ name: String) throws -> MergeCheck? {
        try MergeDetector(repository: repo).check(tip: try repo.resolveCommit(name), base: try repo.resolveCommit("main"))
    }

    /// Replaces line `line` (1-based) of src/app.txt.
    func editLine(_ line: Int, _ text: String, message: String) throws {
        let path = fixture.repo + "/src/app.txt"
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        lines[line - 1] = text
        try fixture.commit("src/app.txt", lines.joined(separator: "\n"), message: message)
    }

    @Test func freshBranchIsSameCommit() throws {
        try branch("fresh")
        #expect(try classify("fresh") == .sameCommit)
    }

    @Test func fastForwardThenMovedOnIsAncestor() throws {
        try branch("ff")
        try onBranch("ff") { try fixture.commit("ff.txt", "ff") }
        try fixture.git("merge", "-q", "--ff-only", "ff")
        #expect(try classify("ff") == .sameCommit)
        try fixture.commit("later.txt", "later")
        #expect(try classify("ff") == .ancestor)
    }

    @Test func mergeCommitIsAncestor() throws {
        try branch("merged")
        try onBranch("merged") { try fixture.commit("m.txt", "m") }
        try fixture.commit("main.txt", "main moves")
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", "merged")
        #expect(try classify("merged") == .ancestor)
    }

    @Test func revertedWorkIsNoChanges() throws {
        try branch("reverted")
        try fixture.commit("main.txt", "main moves")
        try onBranch("reverted") {
            try fixture.commit("r.txt", "r")
            try fixture.git("revert", "--no-edit", "HEAD")
        }
        #expect(try classify("reverted") == .noChanges)
    }

    @Test func sameChangeMadeTwiceIsTreeEqual() throws {
        try branch("twin")
        try onBranch("twin") { try fixture.commit("same.txt", "same", message: "on branch") }
        try fixture.commit("same.txt", "same", message: "on main")
        #expect(try classify("twin") == .treeEqual)
    }

    @Test func squashAfterMainMovedOnIsMergeAddsNothing() throws {
        try branch("squashed")
        try onBranch("squashed") {
            try editLine(3, "feature three", message: "one")
            try fixture.commit("feature.txt", "f", message: "two")
        }
        try fixture.git("merge", "-q", "--squash", "squashed")
        try fixture.git("commit", "-q", "-m", "squash")
        try fixture.commit("after.txt", "main moved on")
        #expect(try classify("squashed") == .mergeAddsNothing)
    }

    @Test func rebaseMergeViaCherryPickIsDetected() throws {
        try branch("rebased")
        try onBranch("rebased") {
            try fixture.commit("r1.txt", "r1")
            try fixture.commit("r2.txt", "r2")
        }
        try fixture.commit("other.txt", "main moves")
        try fixture.git("cherry-pick", "main..rebased")
        let check = try classify("rebased")
        #expect(check == .mergeAddsNothing || check == .patchID)
    }

    @Test func squashThatConflictsInSimulationIsPatchID() throws {
        try branch("conflicting")
        try onBranch("conflicting") { try editLine(5, "branch five", message: "branch edit") }
        try fixture.git("merge", "-q", "--squash", "conflicting")
        try fixture.git("commit", "-q", "-m", "squash")
        try editLine(5, "main rewrote five", message: "main edits the same line again")
        #expect(try classify("conflicting") == .patchID)
    }

    /// The patch-id walk has no cap: a squash 600 commits behind main (that conflicts in
    /// simulation) is found, and so it is through one detector used for many branches.
    @Test func anOldSquashIsFoundHoweverFarMainMovedOn() throws {
        try branch("old")
        try onBranch("old") { try editLine(3, "branch three", message: "branch edit") }
        try fixture.git("merge", "-q", "--squash", "old")
        try fixture.git("commit", "-q", "-m", "squash old")
        try editLine(3, "main rewrote three", message: "main edits the same line again")
        // 600 commits on another path, in one fast-import so the test stays fast.
        let parent = try fixture.git("rev-parse", "HEAD")
        var stream = ""
        for index in 0..<600 {
            let message = "filler \(index)\n"
            stream += "commit refs/heads/main\ncommitter ppds test <test@ppds.invalid> \(1_700_000_000 + index) +0000\n"
            stream += "data \(message.utf8.count)\n\(message)"
            if index == 0 { stream += "from \(parent)\n" }
            stream += "M 100644 inline filler.txt\ndata \(message.utf8.count)\n\(message)\n"
        }
        try runProcess("/usr/bin/git", ["-C", fixture.repo, "fast-import", "--quiet", "--force"], stdin: stream).check()
        let detector = MergeDetector(repository: repo)
        let main = try repo.resolveCommit("main")
        for _ in 0..<6 { #expect(try detector.check(tip: try repo.resolveCommit("old"), base: main) == .patchID) }
    }

    @Test func rebaseMergeOfSeveralCommitsThatConflictsIsPatchID() throws {
        try branch("multi")
        try onBranch("multi") {
            try editLine(7, "seven", message: "a")
            try editLine(9, "nine", message: "b")
        }
        try fixture.commit("other.txt", "main moves first")
        try fixture.git("cherry-pick", "main..multi")
        try editLine(7, "main seven", message: "main edits again")
        #expect(try classify("multi") == .patchID)
    }

    @Test func unmergedWorkIsNotMerged() throws {
        try branch("open")
        try onBranch("open") { try fixture.commit("open.txt", "unmerged work") }
        try fixture.commit("main.txt", "main moves")
        #expect(try classify("open") == nil)
    }
}
