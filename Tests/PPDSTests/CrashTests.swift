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
        Int(try fixture.git("rev-list", "--all", "--count")) ?? -1
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
