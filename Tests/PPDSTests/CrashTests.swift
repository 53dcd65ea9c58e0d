import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// kill -9 at random instants (fixed seed) of bulk start-work and of prune. Each time,
/// `doctor --fix` plus a rerun must end consistent: worktrees = sessions, no stray branch, no
/// commit lost.
@Suite struct CrashTests {
    /// Starts ppds and kills it after `delay` seconds (it may finish first).
    func killed(_ fixture: GitFixture, _ arguments: [String], after delay: TimeInterval) throws {
        let process = try fixture.launchPPDS(arguments)
        usleep(UInt32(delay * 1_000_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sessions' worktrees and branches against git's, and every commit reachable from any ref.
    func consistency(_ fixture: GitFixture) throws -> (sessions: Set<String>, worktrees: Set<String>, branches: Set<String>, sessionBranches: Set<String>) {
        var sessionWorktrees = Set<String>(), sessionBranches = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.home + "/sessions") where name.hasSuffix(".json") {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/" + name))) as! [String: Any]
            sessionWorktrees.insert(object["worktree"] as! String)
            sessionBranches.insert(object["branch"] as! String)
        }
        let worktrees = Set(try fixture.worktreePaths().filter { $0 != fixture.repo })
        let branches = Set(try fixture.git("for-each-ref", "--format=%(refname:short)", "refs/heads/").split(separator: "\n").map(String.init)).subtracting(["main"])
        return (sessionWorktrees, worktrees, branches, sessionBranches)
    }

    func reachableCommits(_ fixture: GitFixture) throws -> Int {
        // (The trash's keeper commits under refs/ppds/trash hold others; they are not work.)
        Int(try fixture.git("rev-list", "--count", "--exclude=refs/ppds/*", "--all")) ?? -1
    }

    @Test func randomKillsOfBulkStartWork() throws {
        let fixture = try GitFixture()
        var random = SeededRandom(seed: 7)
        let issues = (1...6).map(String.init)
        try FileManager.default.createDirectory(atPath: fixture.home + "/sessions", withIntermediateDirectories: true)
        for trial in 0..<10 {
            let before = try reachableCommits(fixture)
            try killed(fixture, ["start-work", "--offline", "--jobs", "2"] + issues, after: Double.random(in: 0.0...0.25, using: &random))
            try fixture.ppds(["doctor", "--fix"])
            let rerun = try fixture.ppds(["start-work", "--offline", "--jobs", "2"] + issues)
            #expect(rerun.status == 0, "trial \(trial): \(rerun.stderr)")
            let state = try consistency(fixture)
            #expect(state.sessions == state.worktrees, "trial \(trial)")
            #expect(state.branches == state.sessionBranches, "trial \(trial)")
            #expect(state.sessions.count == 6, "trial \(trial)")
            #expect(try reachableCommits(fixture) == before, "trial \(trial)")
            #expect(try fixture.ppds(["doctor"]).status == 0, "trial \(trial)")
            // Cancel and remove everything for the next trial.
            for issue in issues { try fixture.ppds(["cancel", issue, "--remove", "--force-delete"]) }
            #expect(try fixture.worktreePaths() == [fixture.repo])
        }
    }

    @Test func randomKillsOfPrune() throws {
        let fixture = try GitFixture()
        var random = SeededRandom(seed: 11)
        for trial in 0..<8 {
            // Four shipped sessions with a commit each, merged with merge commits (so every
            // commit stays reachable from main), and one unmerged shipped session.
            var mergedBranches: [String] = []
            for issue in 1...5 {
                let (worktree, branch) = try fixture.started(trial * 10 + issue, title: "Trial \(trial) issue \(issue)")
                try fixture.commit("t\(trial)-\(issue).txt", "work", in: worktree)
                try fixture.ppds(["ship", String(trial * 10 + issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
                if issue < 5 { mergedBranches.append(branch) }
            }
            for branch in mergedBranches { try fixture.git("merge", "-q", "--no-ff", "-m", "merge \(branch)", branch) }
            let before = try reachableCommits(fixture)
            try killed(fixture, ["prune"], after: Double.random(in: 0.0...0.15, using: &random))
            try fixture.ppds(["doctor", "--fix"])
            try fixture.ppds(["prune"])
            let state = try consistency(fixture)
            #expect(state.sessions == state.worktrees, "trial \(trial)")
            #expect(state.branches == state.sessionBranches, "trial \(trial)")
            #expect(state.sessions.count == 1, "trial \(trial): \(state)")
            #expect(try reachableCommits(fixture) == before, "trial \(trial)")
            #expect(try fixture.ppds(["doctor"]).status == 0, "trial \(trial)")
            try fixture.ppds(["prune", "--force-delete"]).check()
        }
    }
}

extension CrashTests {
    /// A session whose folder was deleted gets it back from start-work. Killed while making it
    /// again, the half-made worktree must never pass for the session's own: the rerun (or
    /// doctor --fix) removes what the recreate made, and makes it again, complete.
    @Test func killsWhileRecreatingDeletedWorktrees() throws {
        let fixture = try GitFixture()
        for index in 0..<300 { try "line \(index)\n".write(toFile: fixture.repo + "/file\(index).txt", atomically: true, encoding: .utf8) }
        try fixture.git("add", "-A")
        try fixture.git("commit", "-q", "-m", "many files")
        var random = SeededRandom(seed: 11)
        let issues = ["1", "2", "3"]
        var worktrees: [String] = []
        for issue in issues { worktrees.append(try fixture.started(Int(issue)!).worktree) }
        for trial in 0..<8 {
            for worktree in worktrees { try FileManager.default.removeItem(atPath: worktree) }
            if trial == 0 {
                // At a known point: after git's entry and the files, before the record is cleared.
                let result = try fixture.ppds(["start-work", "--offline", "1"], environment: ["PPDS_FAULT": "afterRecreate:kill"])
                #expect(result.status != 0)
            } else {
                try killed(fixture, ["start-work", "--offline", "--jobs", "2"] + issues, after: Double.random(in: 0.0...0.3, using: &random))
            }
            if trial % 2 == 0 { try fixture.ppds(["doctor", "--fix"]) }
            let rerun = try fixture.ppds(["start-work", "--offline", "--jobs", "2"] + issues)
            #expect(rerun.status == 0, "trial \(trial): \(rerun.stderr)")
            for worktree in worktrees {
                let status = try fixture.gitResult(["status", "--porcelain"], in: worktree)
                #expect(status.status == 0 && status.stdout.isEmpty, "trial \(trial): \(worktree) is not complete: \(status.stderr)\(status.stdout.prefix(200)); start-work said \(rerun.stdout)")
                #expect(FileManager.default.fileExists(atPath: worktree + "/file299.txt"), "trial \(trial)")
            }
            let state = try consistency(fixture)
            #expect(state.sessions == state.worktrees, "trial \(trial)")
            #expect(state.branches == state.sessionBranches, "trial \(trial)")
            let doctor = try fixture.ppds(["doctor"])
            #expect(doctor.status == 0, "trial \(trial): \(doctor.stdout)")
        }
    }
}

extension CrashTests {
    /// Killed while git's link file was being written: the folder has a cut-short `.git` and
    /// git has no entry for it. The rerun removes that folder (it holds only the branch's files)
    /// and makes the worktree again; with a file of the user's inside, it is kept and named.
    @Test func aRecreateKilledWhileWritingItsGitLinkIsRolledBack() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(5)
        try FileManager.default.removeItem(atPath: worktree)
        #expect(try fixture.ppds(["start-work", "--offline", "5"], environment: ["PPDS_FAULT": "afterRecreate:kill"]).status != 0)
        let admin = try #require(try FileManager.default.contentsOfDirectory(atPath: fixture.repo + "/.git/worktrees").first)
        let link = try String(contentsOfFile: worktree + "/.git", encoding: .utf8)
        try FileManager.default.removeItem(atPath: fixture.repo + "/.git/worktrees/" + admin)
        try String(link.prefix(12)).write(toFile: worktree + "/.git", atomically: false, encoding: .utf8)
        #expect(try fixture.gitResult(["status"], in: worktree).status != 0, "the half-made folder is not a worktree")

        let rerun = try fixture.ppds(["start-work", "--offline", "5"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("recreated"), "\(rerun.stdout)")
        #expect(try fixture.git("status", "--porcelain", in: worktree) == "")

        // The same, with a file someone wrote there meanwhile: kept, and said why.
        try FileManager.default.removeItem(atPath: worktree)
        _ = try fixture.ppds(["start-work", "--offline", "5"], environment: ["PPDS_FAULT": "afterRecreate:kill"])
        let second = try #require(try FileManager.default.contentsOfDirectory(atPath: fixture.repo + "/.git/worktrees").first)
        try FileManager.default.removeItem(atPath: fixture.repo + "/.git/worktrees/" + second)
        try "gitdir: /".write(toFile: worktree + "/.git", atomically: false, encoding: .utf8)
        try "my notes\n".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try fixture.ppds(["start-work", "--offline", "5"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("run 'ppds doctor'"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: worktree + "/notes.txt"))
    }
}
