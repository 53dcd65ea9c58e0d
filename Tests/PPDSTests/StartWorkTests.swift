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
        #expect(branch == "fix/fix-the-auth-bug")
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
        let bad = try fixture.ppds(["start-work", "-", "--offline"], stdin: "15\n../etc Title\n")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("../etc"))
    }

    /// `N title…` lines: the rest of the line is the title; plain numbers still work beside them.
    @Test func bulkFromStdinWithTitles() throws {
        let fixture = try GitFixture()
        let (result, results) = try fixture.startWork(["-"], stdin: "3104 Fix the cart, again\n#3105   Add login\n\n16, 17\n18 19 20\n")
        try result.check()
        #expect(results.map { $0["issue"] as? String } == ["#3104", "#3105", "#16", "#17", "#18", "#19", "#20"])
        #expect(results.allSatisfy { $0["outcome"] as? String == "started" })
        #expect(results[0]["title"] as? String == "Fix the cart, again")
        #expect(results[0]["branch"] as? String == "fix/fix-the-cart-again")
        #expect(results[1]["title"] as? String == "Add login")
        #expect(results[1]["branch"] as? String == "feat/add-login")
        #expect(results[2]["title"] is NSNull)
        #expect(results[2]["branch"] as? String == "feat/issue-16")
        #expect(try fixture.worktreePaths().count == 8)
    }

    /// Without gh (and without --offline or --title), the run says so once.
    @Test func aMissingGhIsSaidOncePerRun() throws {
        let fixture = try GitFixture()
        let bin = fixture.folder.file("bin-without-gh")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/git", withDestinationPath: "/usr/bin/git")
        let environment = ["PATH": bin]
        let result = try fixture.ppds(["start-work", "1", "2", "--json"], environment: environment).check()
        let json = try result.json()
        #expect(json["warnings"] as? [String] == [StartWork.ghMissingWarning])
        #expect(result.stderr.components(separatedBy: "gh is not on PATH").count == 2)
        #expect((json["results"] as? [[String: Any]])?.map { $0["branch"] as? String } == ["feat/issue-1", "feat/issue-2"])
        let text = try fixture.ppds(["start-work", "3"], environment: environment).check()
        #expect(text.stderr.contains("warning: gh is not on PATH: branches are named from issue numbers; pass --title or install gh"))
        for quiet in [["start-work", "4", "--offline"], ["start-work", "5", "--title", "Named"]] {
            let run = try fixture.ppds(quiet, environment: environment).check()
            #expect(!run.stderr.contains("gh is not on PATH"), "\(quiet)")
        }
    }

    /// The title's first word gives the type when no label and no --type does.
    @Test func theTypeComesFromTheTitlesFirstWord() throws {
        let fixture = try GitFixture()
        let cases: [(String, String)] = [
            ("Bug: crash on empty cart", "fix/bug-crash-on-empty-cart"), ("crash when offline", "fix/crash-when-offline"),
            ("Broken link", "fix/broken-link"), ("README typo", "docs/readme-typo"), ("Documentation for x", "docs/documentation-for-x"),
            ("doc: y", "docs/doc-y"), ("Bump swift-nio", "chore/bump-swift-nio"), ("Refactor the view", "chore/refactor-the-view"),
            ("cleanup", "chore/cleanup"), ("Add a login form", "feat/add-a-login-form"), ("Fixture loader", "feat/fixture-loader"),
        ]
        for (index, (title, branch)) in cases.enumerated() {
            #expect(try fixture.started(200 + index, title: title).branch == branch, "\(title)")
        }
        let (result, results) = try fixture.startWork(["250", "--title", "Fix the thing", "--type", "feat"])
        try result.check()
        #expect(results.first?["branch"] as? String == "feat/fix-the-thing")
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
        // The suffix is announced.
        let (announced, items) = try fixture.startWork(["35", "--title", "Feature foo"])
        try announced.check()
        #expect(items.first?["branch"] as? String == "feat/feature-foo-35")
        #expect(items.first?["warnings"] as? [String] == [
            "branch feat/feature-foo and folder \(fixture.folder.file("repo-feature-foo")) were taken; using feat/feature-foo-35 and \(fixture.folder.file("repo-feature-foo-35"))"])
        let text = try fixture.ppds(["start-work", "36", "--offline", "--title", "Feature foo"]).check()
        #expect(text.stdout.contains("warning: branch feat/feature-foo and folder"))
        // A folder that is already there (not a session's) is never reused.
        try FileManager.default.createDirectory(atPath: fixture.folder.file("repo-taken"), withIntermediateDirectories: true)
        try "mine".write(toFile: fixture.folder.file("repo-taken/file.txt"), atomically: true, encoding: .utf8)
        let (thirdResult, thirdItems) = try fixture.startWork(["33", "--title", "Taken"])
        try thirdResult.check()
        #expect(thirdItems.first?["worktree"] as? String == fixture.folder.file("repo-taken-33"))
        #expect(thirdItems.first?["warnings"] as? [String] == [
            "folder \(fixture.folder.file("repo-taken")) was taken; using \(fixture.folder.file("repo-taken-33"))"])
        #expect(try String(contentsOfFile: fixture.folder.file("repo-taken/file.txt"), encoding: .utf8) == "mine")
        // And a branch that exists already.
        try fixture.git("branch", "feat/existing")
        let (fourth, fourthItems) = try fixture.startWork(["34", "--title", "Existing"])
        try fourth.check()
        #expect(fourthItems.first?["branch"] as? String == "feat/existing-34")
        #expect(fourthItems.first?["warnings"] as? [String] == ["branch feat/existing was taken; using feat/existing-34"])
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
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "issue\nview\n77\n--json\nnumber,title,labels,state\n")
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

    /// A worktree whose parent folder is gone too (a disk that is not mounted) is not made again
    /// elsewhere, and git's entry for it stays.
    @Test func aWorktreeWhoseParentIsGoneIsNotRecreated() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try "worktree = \"{parent}/disk/{repo}-{slug}\"\n".write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: fixture.folder.file("disk"), withIntermediateDirectories: true)
        let (worktree, _) = try fixture.started(71, title: "On a disk")
        let away = fixture.folder.file("unmounted")
        try FileManager.default.moveItem(atPath: fixture.folder.file("disk"), toPath: away)
        let (result, results) = try fixture.startWork(["71"])
        #expect(result.status != 0)
        #expect((results.first?["reason"] as? String ?? "").contains("not mounted"), "\(results)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("disk")))
        try FileManager.default.moveItem(atPath: away, toPath: fixture.folder.file("disk"))
        #expect(try fixture.git("status", "--porcelain", in: worktree).isEmpty)
    }

    /// A live session whose folder was deleted by hand gets it back from its branch.
    @Test func aDeletedWorktreeFolderIsRecreatedFromTheSessionsBranch() throws {
        let fixture = try GitFixture()
        let (worktree, branch) = try fixture.started(70, title: "Keep my work")
        try fixture.commit("work.txt", "the work", message: "work", in: worktree)
        let tip = try fixture.git("rev-parse", branch)
        let sessionFile = try String(contentsOfFile: fixture.home + "/sessions/work-70.json", encoding: .utf8)
        // 1. The folder is gone, git's entry is stale: pruned, then made again.
        try FileManager.default.removeItem(atPath: worktree)
        let (result, results) = try fixture.startWork(["70"])
        try result.check()
        #expect(results.first?["outcome"] as? String == "recreated")
        #expect(results.first?["branch"] as? String == branch)
        #expect((results.first?["reason"] as? String ?? "").contains("pruned git's stale entry"))
        #expect(try fixture.git("rev-parse", "HEAD", in: worktree) == tip)
        #expect(try String(contentsOfFile: worktree + "/work.txt", encoding: .utf8) == "the work")
        #expect(try fixture.git("status", "--porcelain", in: worktree) == "")
        #expect(try fixture.worktreePaths() == [fixture.repo, worktree])
        #expect(try !fixture.git("worktree", "list", "--porcelain").contains("prunable"))
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-70.json", encoding: .utf8) == sessionFile)
        // 2. The folder is gone and git's entry too.
        try FileManager.default.removeItem(atPath: worktree)
        try fixture.git("worktree", "prune")
        let text = try fixture.ppds(["start-work", "70", "--offline"]).check()
        #expect(text.stdout.contains("#70 recreated"))
        #expect(try fixture.git("rev-parse", "HEAD", in: worktree) == tip)
        // 3. A folder that exists (even empty) is never touched: the session is just reported.
        try FileManager.default.removeItem(atPath: worktree)
        try FileManager.default.createDirectory(atPath: worktree, withIntermediateDirectories: false)
        let (same, sameResults) = try fixture.startWork(["70"])
        try same.check()
        #expect(sameResults.first?["outcome"] as? String == "existing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: worktree).isEmpty)
        // 4. The branch checked out elsewhere: refused, nothing made.
        try FileManager.default.removeItem(atPath: worktree)
        try fixture.git("worktree", "prune")
        let elsewhere = fixture.folder.file("elsewhere")
        try fixture.git("worktree", "add", "-q", elsewhere, branch)
        let (refused, refusedResults) = try fixture.startWork(["70"])
        // A conflict, kept to the edge: exit 2 for one issue alone (the contract's refusal).
        #expect(refused.status == 2)
        #expect(refusedResults.first?["outcome"] as? String == "failed")
        #expect(refusedResults.first?["reasonKind"] as? String == "conflict")
        #expect((refusedResults.first?["reason"] as? String ?? "").contains("checked out at \(elsewhere)"))
        #expect(!FileManager.default.fileExists(atPath: worktree))
    }

    /// `--branch B` checks out an existing branch; never one checked out elsewhere, never deleted on a rollback.
    @Test func anExistingBranchIsUsedAsItIs() throws {
        let fixture = try GitFixture()
        try fixture.git("checkout", "-q", "-b", "topic/mine")
        try fixture.commit("mine.txt", "mine", message: "mine")
        try fixture.git("checkout", "-q", "main")
        let tip = try fixture.git("rev-parse", "topic/mine")
        let branchesBefore = try fixture.git("for-each-ref", "--format=%(refname)", "refs/heads")
        // A failure after the worktree: everything made goes, the branch stays where it was.
        let (failed, _) = try fixture.startWork(["80", "--branch", "topic/mine"], environment: ["PPDS_FAULT": "afterWorktree:fail"])
        #expect(failed.status == 1)
        #expect(try fixture.git("rev-parse", "topic/mine") == tip)
        #expect(try fixture.worktreePaths() == [fixture.repo])
        let (result, results) = try fixture.startWork(["80", "--branch", "topic/mine"])
        try result.check()
        #expect(results.first?["outcome"] as? String == "started")
        #expect(results.first?["branch"] as? String == "topic/mine")
        let worktree = try #require(results.first?["worktree"] as? String)
        #expect(worktree == fixture.folder.file("repo-mine"))
        #expect(try fixture.git("rev-parse", "HEAD", in: worktree) == tip)
        #expect(try fixture.git("rev-parse", "--abbrev-ref", "HEAD", in: worktree) == "topic/mine")
        #expect(try fixture.git("for-each-ref", "--format=%(refname)", "refs/heads") == branchesBefore)
        // Checked out elsewhere (here, by the session above; or the main worktree): refused.
        let (again, againResults) = try fixture.startWork(["81", "--branch", "topic/mine"])
        #expect(again.status == 2)
        #expect((againResults.first?["reason"] as? String ?? "").contains("checked out at \(worktree)"))
        let (main, mainResults) = try fixture.startWork(["82", "--branch", "main"])
        #expect(main.status == 2)
        #expect((mainResults.first?["reason"] as? String ?? "").contains("checked out at \(fixture.repo)"))
        let (missing, missingResults) = try fixture.startWork(["83", "--branch", "no/such"])
        #expect(missing.status == 2)
        #expect((missingResults.first?["reason"] as? String ?? "").contains("no local branch 'no/such'"))
        #expect(try fixture.ppds(["start-work", "84", "85", "--branch", "topic/mine"]).status == 64)
        #expect(!fixture.sessionFileExists(81) && !fixture.sessionFileExists(82) && !fixture.sessionFileExists(83))
    }

    /// `--exec CMD ARGS…` runs in the new worktree by argv, with the PPDS_* variables; one that
    /// cannot start or exits non-zero at once is failed.
    @Test func aCommandAfterExecRunsInTheNewWorktree() throws {
        let fixture = try GitFixture()
        let (result, results) = try fixture.startWork(["90", "--exec", "sh", "-c", "echo \"$PPDS_ISSUE $PPDS_BRANCH $1\" > exec.txt; sleep 2", "sh", "$(x) ;"])
        try result.check()
        let hook = try #require((results.first?["hooks"] as? [[String: Any]])?.first)
        #expect(hook["kind"] as? String == "exec")
        #expect(hook["outcome"] as? String == "spawned")
        let out = try #require(results.first?["worktree"] as? String) + "/exec.txt"
        for _ in 0..<50 where ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").isEmpty { usleep(100_000) }
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "90 feat/issue-90 $(x) ;\n")
        // Exits 0 at once: ok.
        let (quick, quickResults) = try fixture.startWork(["91", "--exec", "true"])
        try quick.check()
        #expect((quickResults.first?["hooks"] as? [[String: Any]])?.first?["outcome"] as? String == "ok")
        // Cannot start: failed (the session stays, registered), exit 1.
        let (absent, absentResults) = try fixture.startWork(["92", "--exec", "no-such-program-ppds"])
        #expect(absent.status == 1)
        let absentHook = (absentResults.first?["hooks"] as? [[String: Any]])?.first
        #expect(absentHook?["outcome"] as? String == "failed")
        #expect((absentHook?["message"] as? String ?? "").contains("not found"))
        #expect(absentResults.first?["outcome"] as? String == "started")
        // Exits non-zero at once (tmux outside tmux): failed, with what it said.
        let (early, earlyResults) = try fixture.startWork(["93", "--exec", "sh", "-c", "echo 'no server running' >&2; exit 1"])
        #expect(early.status == 1)
        let earlyHook = (earlyResults.first?["hooks"] as? [[String: Any]])?.first
        #expect(earlyHook?["outcome"] as? String == "failed")
        #expect((earlyHook?["message"] as? String ?? "").contains("no server running"))
        let text = try fixture.ppds(["start-work", "94", "--offline", "--exec", "sh", "-c", "exit 3"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("exec failed"))
        // A configured spawn that cannot work is failed too.
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try "spawn = [\"sh\", \"-c\", \"echo 'no server running on /tmp/tmux' >&2; exit 1\"]\n"
            .write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let (spawn, spawnResults) = try fixture.startWork(["95"])
        #expect(spawn.status == 1)
        let spawnHook = (spawnResults.first?["hooks"] as? [[String: Any]])?.first
        #expect(spawnHook?["kind"] as? String == "spawn")
        #expect(spawnHook?["outcome"] as? String == "failed")
        #expect((spawnHook?["message"] as? String ?? "").contains("no server running"))
    }
}
