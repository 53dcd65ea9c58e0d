import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// Session files are input, not truth: hostile or inconsistent files, through the built binary.
/// Each one is reported by name, and no verb writes to it or acts on it.
@Suite struct UntrustedSessionFileTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    func sessionFile(_ issue: Int) -> String { fixture.home + "/sessions/work-\(issue).json" }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// A string field of a JSON result, or "".
    func text(_ item: [String: Any]?, _ key: String) -> String { item?[key] as? String ?? "" }

    /// Rewrites a key of `issue`'s session file, behind ppds's back.
    func rewrite(_ issue: Int, _ key: String, _ value: Any) throws {
        let file = sessionFile(issue)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        object[key] = value
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: file))
    }

    /// Starts `issue`, commits in its worktree, ships it; returns (worktree, branch).
    func shipped(_ issue: Int) throws -> (String, String) {
        let (worktree, branch) = try fixture.started(issue, title: "Work \(issue)")
        try fixture.commit("feature-\(issue).txt", "feature \(issue)\n", in: worktree)
        try fixture.ppds(["ship", String(issue), "--pr", "https://example.com/o/r/pull/\(issue)", "--force"]).check()
        return (worktree, branch)
    }

    /// A prune record left by a prune that died (its pid is not a live process).
    func deadPruneIntent(_ issue: Int, branch: String, worktree: String) throws {
        try FileManager.default.createDirectory(atPath: fixture.home + "/intents", withIntermediateDirectories: true)
        let intent: [String: Any] = ["operation": "prune", "issue": issue, "repo": fixture.repo, "branch": branch,
                                     "worktree": worktree, "pid": Int32.max, "created": "2025-01-08T10:30:00Z"]
        try JSONSerialization.data(withJSONObject: intent).write(to: URL(fileURLWithPath: fixture.home + "/intents/prune-\(issue).json"))
    }

    func expectCorruptReported(_ file: String, mentioning parts: [String], _ comment: Comment? = nil) throws {
        let status = try fixture.ppds(["status", "--json"]).json()
        let problems = status["problems"] as? [[String: Any]] ?? []
        let problem = problems.first { $0["kind"] as? String == "corruptSessionFile" && $0["file"] as? String == file }
        #expect(problem != nil, "status: \(problems)")
        let doctor = try fixture.ppds(["doctor", "--json"]).json()
        let found = (doctor["remaining"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "corruptSessionFile" && $0["file"] as? String == file }
        let message = found?["message"] as? String ?? ""
        for part in [file] + parts { #expect(message.contains(part), "doctor: \(message)") }
    }

    // MARK: Defect 1

    @Test func aFileNamedForOneIssueHoldingAnotherIsNeverWritten() throws {
        let (worktree, branch) = try fixture.started(1, title: "Live")
        let live = sessionFile(1), impostor = sessionFile(7)
        try FileManager.default.copyItem(atPath: live, toPath: impostor)
        let liveBytes = contents(live), impostorBytes = contents(impostor)
        let verbs: [[String]] = [
            ["update", "7", "--status", "planning"], ["update", "7", "--status", "stuck", "--reason", "r"],
            ["guide", "7", "hello"], ["pause", "7"], ["resume", "7"], ["show", "7"],
            ["ship", "7", "--pr", "https://example.com/o/r/pull/7"], ["cancel", "7"], ["cancel", "7", "--remove", "--force", "--force-delete"],
        ]
        for verb in verbs {
            let result = try fixture.ppds(verb)
            #expect(result.status != 0, "\(verb) succeeded")
            #expect(result.stderr.contains(impostor) && result.stderr.contains("#1"), "\(verb): \(result.stderr)")
        }
        let (_, items) = try fixture.prune(["7", "--force-delete"])
        #expect(items["#7"]?["outcome"] as? String == "failed")
        #expect(text(items["#7"], "reason").contains(impostor))
        #expect(contents(live) == liveBytes)
        #expect(contents(impostor) == impostorBytes)
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try fixture.branchExists(branch))
        try expectCorruptReported(impostor, mentioning: ["#1", "work-7.json"])
        // The live session still works.
        try fixture.ppds(["guide", "1", "still here"]).check()
        #expect(try fixture.ppds(["show", "1"]).check().stdout.contains("still here"))
    }

    // MARK: Defect 2

    @Test func aBranchThatIsNotARefNameIsNeverActedOn() throws {
        let (worktree, branch) = try shipped(2)
        try fixture.git("merge", "-q", branch)
        // A lock file outside the repository that the hostile name would reach.
        let victim = fixture.folder.file("victim.lock")
        try "keep me\n".write(toFile: victim, atomically: true, encoding: .utf8)
        try rewrite(2, "branch", "../../../../victim")
        try deadPruneIntent(2, branch: "../../../../victim", worktree: worktree)
        let before = contents(sessionFile(2))
        let (_, all) = try fixture.prune(["--force-delete"])
        #expect(all["#2"] == nil || all["#2"]?["outcome"] as? String == "failed", "\(all)")
        let (_, named) = try fixture.prune(["2", "--force-delete"])
        #expect(named["#2"]?["outcome"] as? String == "failed")
        #expect(text(named["#2"], "reason").contains("'branch'"))
        for verb in [["cancel", "2"], ["guide", "2", "x"], ["update", "2", "--status", "working"]] {
            let result = try fixture.ppds(verb)
            #expect(result.status != 0 && result.stderr.contains("../../../../victim"), "\(verb): \(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: victim))
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try fixture.branchExists(branch))
        #expect(contents(sessionFile(2)) == before)
        try expectCorruptReported(sessionFile(2), mentioning: ["'branch'", "../../../../victim"])
    }

    @Test func aStaleRefLockOutsideRefsHeadsIsNeverRemoved() throws {
        // A valid session whose dead prune record names a hostile branch: GitKit refuses it.
        let (worktree, branch) = try shipped(3)
        try fixture.git("merge", "-q", branch)
        let victim = fixture.folder.file("victim.lock")
        try "keep me\n".write(toFile: victim, atomically: true, encoding: .utf8)
        try deadPruneIntent(3, branch: "../../../../victim", worktree: worktree)
        let (result, items) = try fixture.prune()
        try result.check()
        #expect(items["#3"]?["outcome"] as? String == "removed")
        #expect(FileManager.default.fileExists(atPath: victim))
    }

    @Test func aStaleRefLockBehindASymlinkedFolderIsNeverRemoved() throws {
        let (worktree, branch) = try shipped(4)
        try fixture.git("merge", "-q", branch)
        let outside = fixture.folder.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "keep me\n".write(toFile: outside + "/x.lock", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/.git/refs/heads/evil", withDestinationPath: outside)
        try deadPruneIntent(4, branch: "evil/x", worktree: worktree)
        _ = try fixture.prune()
        #expect(FileManager.default.fileExists(atPath: outside + "/x.lock"))
    }

    // MARK: Defect 3

    @Test func aBaseNamingItsOwnBranchNeverMakesItLookMerged() throws {
        for (issue, form) in [(5, ""), (6, "refs/heads/"), (7, "heads/")] {
            let (worktree, branch) = try shipped(issue)
            try rewrite(issue, "base", form + branch)
            let before = contents(sessionFile(issue))
            let (_, all) = try fixture.prune(["--force-delete"])
            #expect(all["#\(issue)"] == nil || all["#\(issue)"]?["outcome"] as? String == "failed", "\(form): \(all)")
            let (_, named) = try fixture.prune([String(issue)])
            #expect(named["#\(issue)"]?["outcome"] as? String == "failed", "\(form)")
            #expect(text(named["#\(issue)"], "reason").contains("'base'"), "\(form)")
            // The unmerged commit is still there.
            #expect(try fixture.branchExists(branch), "\(form)")
            #expect(FileManager.default.fileExists(atPath: worktree + "/feature-\(issue).txt"), "\(form)")
            #expect(contents(sessionFile(issue)) == before, "\(form)")
            try expectCorruptReported(sessionFile(issue), mentioning: ["'base'", form + branch])
        }
    }

    // MARK: Defect 4

    @Test func aWorktreeThatIsNotCanonicalIsNeverActedOn() throws {
        let (worktree, branch) = try fixture.started(8, title: "Odd path")
        let name = (worktree as NSString).lastPathComponent
        for odd in [fixture.folder.path + "/repo/../" + name, fixture.folder.path + "/./" + name, worktree + "/", fixture.folder.path + "//" + name, "/"] {
            try rewrite(8, "worktree", odd)
            let before = contents(sessionFile(8))
            for verb in [["update", "8", "--status", "working"], ["ship", "8", "--pr", "https://example.com/o/r/pull/8"], ["pause", "8"]] {
                let result = try fixture.ppds(verb)
                #expect(result.status != 0 && result.stderr.contains("'worktree'"), "\(odd) \(verb): \(result.stderr)")
            }
            let (_, named) = try fixture.prune(["8", "--force", "--force-delete"])
            #expect(named["#8"]?["outcome"] as? String == "failed", "\(odd)")
            #expect(contents(sessionFile(8)) == before, "\(odd)")
            try expectCorruptReported(sessionFile(8), mentioning: ["'worktree'"])
        }
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try fixture.branchExists(branch))
    }

    // MARK: Defect 5

    @Test func aHugeSparseFileIsNamedWithoutBeingRead() throws {
        try fixture.started(9, title: "Good")
        let huge = sessionFile(10)
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 2 << 30) == 0)  // 2 GiB, sparse: no disk used
        let start = Date()
        let status = try fixture.ppds(["status", "--json"]).check().json()
        #expect((status["sessions"] as? [[String: Any]])?.compactMap { $0["issue"] as? String } == ["#9"])
        let problem = (status["problems"] as? [[String: Any]] ?? []).first { $0["file"] as? String == huge }
        #expect(text(problem, "message").contains("2147483648 bytes"), "\(String(describing: problem))")
        try fixture.ppds(["guide", "9", "fine"]).check()
        let shown = try fixture.ppds(["show", "10"])
        #expect(shown.status == 2 && shown.stderr.contains(huge) && shown.stderr.contains("2147483648 bytes"), "\(shown.stderr)")
        let (_, named) = try fixture.prune(["10"])
        #expect(text(named["#10"], "reason").contains("2147483648 bytes"))
        #expect(Date().timeIntervalSince(start) < 60)
        // No child process ever held the file in memory.
        var usage = rusage()
        #expect(getrusage(RUSAGE_CHILDREN.rawValue, &usage) == 0)
        #expect(usage.ru_maxrss < 1 << 20, "a child reached \(usage.ru_maxrss) KiB")
    }
}
