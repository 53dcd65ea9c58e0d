import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

@Suite struct StartWorkTests {
    @Test func startsBranchWorktreeAndSession() throws {
        let fixture = try GitFixture()
        let (worktree, branch) = try fixture.started(456, title: "Fix the auth bug")
        #expect(branch == "feat/fix-the-auth-bug")
        #expect(worktree == fixture.folder.file("repo-fix-the-auth-bug"))
        #expect(try fixture.git("rev-parse", "--abbrev-ref", "HEAD", in: worktree) == branch)
        #expect(try fixture.worktreePaths().contains(worktree))
        let session = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-456.json"))) as! [String: Any]
        #expect(session["status"] as? String == "registered")
        #expect(session["issue"] as? String == "#456")
        #expect(session["repo"] as? String == fixture.repo)
        #expect(session["base"] as? String == "main")
        #expect(session["baseCommit"] as? String == (try fixture.git("rev-parse", "main")))
        #expect(session["title"] as? String == "Fix the auth bug")
        #expect(session["stuck"] is NSNull)
    }

    @Test func rerunReportsTheExistingSessionAndChangesNothing() throws {
        let fixture = try GitFixture()
        try fixture.started(7, title: "One")
        let before = try String(contentsOfFile: fixture.home + "/sessions/work-7.json", encoding: .utf8)
        let (result, results) = try fixture.startWork(["7", "--title", "Another title"])
        try result.check()
        #expect(results.first?["outcome"] as? String == "existing")
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-7.json", encoding: .utf8) == before)
        #expect(try fixture.worktreePaths().count == 2)
    }

    @Test func prefersTheRemoteTrackingBase() throws {
        let fixture = try GitFixture()
        let remote = fixture.folder.file("origin.git")
        try fixture.git("init", "-q", "--bare", remote)
        try fixture.git("remote", "add", "origin", remote)
        try fixture.git("push", "-q", "-u", "origin", "main")
        try fixture.git("remote", "set-head", "origin", "main")
        let remoteTip = try fixture.git("rev-parse", "origin/main")
        try fixture.commit("local.txt", "a local commit not pushed")
        try fixture.started(3, title: "x")
        let session = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-3.json"))) as! [String: Any]
        #expect(session["base"] as? String == "origin/main")
        #expect(session["baseCommit"] as? String == remoteTip)
        // --base overrides.
        let (_, results) = try fixture.startWork(["4", "--base", "main"])
        #expect(results.first?["base"] as? String == "main")
    }

    @Test func bulkFromArgumentsAndStdinInParallel() throws {
        let fixture = try GitFixture()
        let (result, results) = try fixture.startWork(["-", "10", "--jobs", "3"], stdin: "11 12\n13,14\n")
        try result.check()
        #expect(results.map { $0["issue"] as? String } == ["#11", "#12", "#13", "#14", "#10"])
        #expect(results.allSatisfy { $0["outcome"] as? String == "started" })
        #expect(try fixture.worktreePaths().count == 6)
        let bad = try fixture.ppds(["start-work", "-", "--offline"], stdin: "15 ../etc\n")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("../etc"))
    }

    @Test func bulkWithOneFailingIssueAttemptsEveryIssue() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home + "/sessions", withIntermediateDirectories: true)
        try "{not json".write(toFile: fixture.home + "/sessions/work-22.json", atomically: true, encoding: .utf8)
        let (result, results) = try fixture.startWork(["21", "22", "23"])
        #expect(result.status == 1)
        #expect(results.map { $0["outcome"] as? String } == ["started", "failed", "started"])
        #expect((results[1]["reason"] as? String ?? "").contains("work-22.json"))
        #expect(result.stderr.contains("work-22.json"))
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-22.json", encoding: .utf8) == "{not json")
        #expect(try fixture.worktreePaths().count == 3)
    }

    /// Another repository's #5 is never overwritten: this repository's #5 goes beside it.
    @Test func aSessionOfAnotherRepositoryIsNeverOverwritten() throws {
        let fixture = try GitFixture()
        let other = try GitFixture()
        try other.ppds(["start-work", "5", "--offline"], environment: ["PPDS_HOME": fixture.home]).check()
        let theirs = try Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-5.json"))
        let (result, results) = try fixture.startWork(["5"])
        try result.check()
        #expect(results.first?["outcome"] as? String == "started")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-5.json")) == theirs)
    }

    @Test func hostileTitlesStayInsideTheParentAndNeverRun() throws {
        let fixture = try GitFixture()
        let titles = [
            "../../../../tmp/escape", "$(touch pwned-dollar)", "`touch pwned-backtick`", "\"; touch pwned-quote; echo \"",
            "'quoted' \\ back\\slash", "Ünïcödé ✨ 日本語 title", "-rf --force", "..", "/absolute/path", "a\nnewline\ttab",
            String(repeating: "very long words ", count: 20),
        ]
        for (index, title) in titles.enumerated() {
            let (worktree, branch) = try fixture.started(100 + index, title: title)
            #expect((worktree as NSString).deletingLastPathComponent == fixture.folder.path, "\(title) → \(worktree)")
            #expect(!branch.contains(".."))
            #expect(!(worktree as NSString).lastPathComponent.contains(".."))
            #expect((worktree as NSString).lastPathComponent.count <= "repo-".count + 40)
            let session = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-\(100 + index).json"))) as! [String: Any]
            #expect(session["title"] as? String == title)
        }
        for name in ["pwned-dollar", "pwned-backtick", "pwned-quote"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/" + name))
            #expect(!FileManager.default.fileExists(atPath: fixture.folder.file(name)))
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/escape"))
        #expect(try fixture.siblings().allSatisfy { $0.hasPrefix("repo-") })
        #expect(try fixture.git("branch", "--list", "feat/unicode-title*").contains("feat/unicode"))
    }

    @Test func collidingTitlesAreDisambiguated() throws {
        let fixture = try GitFixture()
        let first = try fixture.started(31, title: "Feature/Foo")
        let second = try fixture.started(32, title: "feature-foo")
        #expect(first.branch == "feat/feature-foo")
        #expect(second.branch == "feat/feature-foo-32")
        #expect(first.worktree != second.worktree)
        // A folder that is already there (not a session's) is never reused.
        try FileManager.default.createDirectory(atPath: fixture.folder.file("repo-taken"), withIntermediateDirectories: true)
        try "mine".write(toFile: fixture.folder.file("repo-taken/file.txt"), atomically: true, encoding: .utf8)
        let third = try fixture.started(33, title: "Taken")
        #expect(third.worktree == fixture.folder.file("repo-taken-33"))
        #expect(try String(contentsOfFile: fixture.folder.file("repo-taken/file.txt"), encoding: .utf8) == "mine")
        // And a branch that exists already.
        try fixture.git("branch", "feat/existing")
        #expect(try fixture.started(34, title: "Existing").branch == "feat/existing-34")
    }

    @Test func titleAndLabelsFromAGhStandIn() throws {
        let fixture = try GitFixture()
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let log = fixture.folder.file("gh-args.txt")
        try """
        #!/bin/sh
        printf '%s\\n' "$@" > \(log)
        echo '{"number": 77, "title": "Crash when the cart is empty $(touch gh-pwned)", "labels": [{"name": "bug"}, {"name": "p1"}]}'
        """.write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try fixture.ppds(["start-work", "77", "--json"], environment: ["PATH": path]).check()
        let item = try #require((try result.json())["results"] as? [[String: Any]]).first
        #expect(item?["branch"] as? String == "fix/crash-when-the-cart-is-empty-touch-gh")
        #expect(item?["title"] as? String == "Crash when the cart is empty $(touch gh-pwned)")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "issue\nview\n77\n--json\nnumber,title,labels\n")
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/gh-pwned"))
        // --offline never asks gh.
        try FileManager.default.removeItem(atPath: log)
        try fixture.ppds(["start-work", "78", "--offline"], environment: ["PATH": path]).check()
        #expect(!FileManager.default.fileExists(atPath: log))
    }

    @Test func anInjectedFailureBetweenStepsLeavesNothingBehind() throws {
        let fixture = try GitFixture()
        for checkpoint in ["afterIntent", "afterBranch", "afterWorktree", "afterSession"] {
            let (result, results) = try fixture.startWork(["40", "--title", "Injected"], environment: ["PPDS_FAULT": "\(checkpoint):fail"])
            #expect(result.status == 1, "\(checkpoint)")
            #expect(results.first?["outcome"] as? String == "failed")
            #expect(try fixture.worktreePaths() == [fixture.repo], "\(checkpoint)")
            #expect(try !fixture.branchExists("feat/injected"), "\(checkpoint)")
            #expect(!fixture.sessionFileExists(40), "\(checkpoint)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.repo + "/.git/worktrees")) ?? []).isEmpty)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.home + "/intents")) ?? []).isEmpty)
            #expect(try fixture.siblings().isEmpty, "\(checkpoint)")
        }
        #expect(try fixture.started(40, title: "Injected").branch == "feat/injected")
    }

    @Test func aRerunAfterKillNineSucceeds() throws {
        let fixture = try GitFixture()
        for checkpoint in ["afterIntent", "afterBranch", "afterWorktree", "afterSession"] {
            let issue = ["afterIntent": 51, "afterBranch": 52, "afterWorktree": 53, "afterSession": 54][checkpoint]!
            let killed = try fixture.ppds(["start-work", String(issue), "--offline", "--title", "Killed \(checkpoint)"],
                                          environment: ["PPDS_FAULT": "\(checkpoint):kill"])
            #expect(killed.status == 9, "\(checkpoint)")
            let (rerun, results) = try fixture.startWork([String(issue), "--title", "Killed \(checkpoint)"])
            try rerun.check()
            let outcome = results.first?["outcome"] as? String
            #expect(outcome == (checkpoint == "afterSession" ? "existing" : "started"), "\(checkpoint)")
            #expect(try fixture.worktreePaths().filter { $0.contains("killed-\(checkpoint.lowercased())") }.count == 1)
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.home + "/intents")) ?? []).isEmpty)
    }

    @Test func twoConcurrentRunsOfOneIssueMakeOneWorktree() throws {
        let fixture = try GitFixture()
        for round in 0..<3 {
            let issue = 60 + round
            let processes = try (0..<2).map { _ in try fixture.launchPPDS(["start-work", String(issue), "--offline", "--title", "Race"]) }
            for process in processes { process.waitUntilExit(); #expect(process.terminationStatus == 0) }
            #expect(try fixture.worktreePaths().count == 2 + round)
        }
    }
}
