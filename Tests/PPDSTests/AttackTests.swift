import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// Ways a plain prune, doctor --fix or start-work rerun still loses work (found by an
/// attack review). Each test asserts that the work survives, so each fails while the hole is open.
@Suite struct AttackTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    /// True when a ref, a reflog or a worktree HEAD still reaches `commit` (what `git fsck`
    /// does not call unreachable).
    func reachable(_ commit: String) throws -> Bool {
        let fsck = try fixture.gitResult(["fsck", "--unreachable", "--no-reflogs"]).stdout
        let withReflogs = try fixture.gitResult(["fsck", "--unreachable"]).stdout
        return !fsck.contains(commit) || !withReflogs.contains(commit)
    }

    func setSessionField(_ issue: Int, _ key: String, _ value: String) throws {
        let file = fixture.home + "/sessions/work-\(issue).json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        json[key] = value
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
    }

    func sh(_ script: String) throws -> String {
        try runProcess("/bin/sh", ["-c", script], in: fixture.repo).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("A1: a worktree nested in an ignored folder of a pruned worktree keeps its files and commits")
    func nestedWorktreeInIgnoredFolder() throws {
        try fixture.commit(".gitignore", ".scratch/\n")
        let (worktree, branch, _) = try fixture.shipped(1)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let nested = worktree + "/.scratch/experiment"
        try fixture.git("worktree", "add", "-q", "--detach", nested)
        let experiment = try fixture.commit("notes.txt", "an experiment\n", in: nested)
        try "not committed yet\n".write(toFile: nested + "/wip.txt", atomically: true, encoding: .utf8)
        _ = try fixture.prune()
        #expect(FileManager.default.fileExists(atPath: nested + "/wip.txt"))
        #expect(try reachable(experiment))
    }

    @Test("A2: a forged start-work intent record cannot make doctor --fix remove a live session's worktree")
    func forgedStartIntentRemovesLiveWorktree() throws {
        try fixture.commit(".gitignore", ".env\n")
        let (worktree, _) = try fixture.started(2, title: "Live")
        try ".env of a live session\n".write(toFile: worktree + "/.env", atomically: true, encoding: .utf8)
        let link = try String(contentsOfFile: worktree + "/.git", encoding: .utf8)
        let admin = (link.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: fixture.home + "/intents", withIntermediateDirectories: true)
        let record: [String: Any] = ["operation": "start-work", "issue": 99, "repo": fixture.repo, "branch": "nobody/99",
                                     "worktree": worktree, "adminName": admin, "pid": 999_999, "created": "2024-01-01T00:00:00Z"]
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: fixture.home + "/intents/start-work-99.json"))
        _ = try fixture.ppds(["doctor", "--fix"])
        #expect(FileManager.default.fileExists(atPath: worktree + "/.env"))
        #expect(try fixture.worktreePaths().contains(worktree))
    }

    @Test("A3: content written in a merge commit of the branch is not merged by the patch-id rung")
    func mergeCommitContentIsNotPatchIDMerged() throws {
        let (worktree, branch) = try fixture.started(3, title: "Merge main in")
        let own = try fixture.commit("a.txt", "feature A\n", in: worktree)
        try fixture.commit("main.txt", "main moves on\n")
        _ = try fixture.gitResult(["merge", "-q", "--no-commit", "main"], in: worktree)
        try "written only in the merge commit\n".write(toFile: worktree + "/only-in-merge.txt", atomically: true, encoding: .utf8)
        try fixture.git("add", "only-in-merge.txt", in: worktree)
        try fixture.git("commit", "-q", "-m", "merge main, with extra work", in: worktree)
        let tip = try fixture.git("rev-parse", "HEAD", in: worktree)
        try fixture.ppds(["ship", "3", "--pr", "https://example.com/o/r/pull/3", "--force"]).check()
        try fixture.git("cherry-pick", own)
        let (_, items) = try fixture.prune()
        #expect(items["#3"]?["outcome"] as? String == "keptUnmerged")
        #expect(try fixture.branchExists(branch))
        #expect(try reachable(tip))
    }

    @Test("A4: the same line added elsewhere with the same context is not the branch's change")
    func patchIDWithoutLineNumbersMatchesAnotherPlace() throws {
        let section = "host = db\nport = 5432\nuser = app\npool = 10\ntimeout = 30\n"
        try fixture.commit("db.ini", "[staging]\n" + section + "\n[production]\n" + section + "\n[logging]\nlevel = info\n")
        let (worktree, branch) = try fixture.started(4, title: "TLS in production")
        let tls = section.replacingOccurrences(of: "user = app\n", with: "user = app\ntls = required\n")
        let tip = try fixture.commit("db.ini", "[staging]\n" + section + "\n[production]\n" + tls + "\n[logging]\nlevel = info\n",
                                     message: "require TLS in production", in: worktree)
        try fixture.ppds(["ship", "4", "--pr", "https://example.com/o/r/pull/4", "--force"]).check()
        try fixture.commit("db.ini", "[staging]\n" + tls + "\n[production]\n" + section + "\n[logging]\nlevel = info\n",
                           message: "require TLS in staging")
        let (_, items) = try fixture.prune()
        #expect(items["#4"]?["outcome"] as? String == "keptUnmerged")
        #expect(try fixture.branchExists(branch))
        #expect(try reachable(tip))
    }

    @Test("A5: a session whose base is its own tip by id (or :/message) is not merged into itself")
    func baseNamingTheTipByID() throws {
        for (issue, spelling) in [(5, "id"), (6, ":/")] {
            let (_, branch, tip) = try fixture.shipped(issue, file: "work\(issue).txt", content: "unmerged \(issue)\n")
            try setSessionField(issue, "base", spelling == "id" ? tip : ":/change work\(issue).txt")
            let (_, items) = try fixture.prune([String(issue)])
            #expect(items["#\(issue)"]?["outcome"] as? String != "removed")
            #expect(try fixture.branchExists(branch))
            #expect(try reachable(tip))
        }
    }

    @Test("A6: a commit only a per-worktree ref (refs/worktree/…) names survives prune")
    func perWorktreeRefSurvives() throws {
        let (worktree, branch, _) = try fixture.shipped(7)
        try fixture.git("checkout", "-q", "--detach", in: worktree)
        let experiment = try fixture.commit("exp.txt", "experiment\n", in: worktree)
        try fixture.git("update-ref", "refs/worktree/keep", experiment, in: worktree)
        try fixture.git("checkout", "-q", branch, in: worktree)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        _ = try fixture.prune()
        #expect(try reachable(experiment))
    }

    @Test("A7: a worktree whose path is not UTF-8 is not a missing folder; its entry and HEAD stay")
    func nonUTF8WorktreePathIsNotMissing() throws {
        let parent = fixture.folder.path
        let commit = try sh("""
        W="\(parent)/caf$(printf '\\351')/wt"; mkdir -p "$(dirname "$W")"
        git worktree add -q --detach "$W" && cd "$W" && echo work > exp.txt && git add exp.txt && git commit -qm detached && git rev-parse HEAD
        """)
        _ = try fixture.prune()
        _ = try fixture.ppds(["doctor", "--fix"])
        #expect(try reachable(commit))
        #expect(try sh("git worktree list --porcelain | grep -c '^worktree '") == "2")
    }

    @Test("A8: a hand-made worktree on an unmounted disk keeps its entry (its detached HEAD holds a commit)")
    func unmountedHandMadeWorktreeKeepsItsEntry() throws {
        let disk = fixture.folder.file("usb")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard try runProcess("/bin/mount", ["-t", "tmpfs", "tmpfs", disk]).status == 0 else { return }  // no mounts here
        var mounted = true
        defer { if mounted { _ = try? runProcess("/bin/umount", [disk]) } }
        try fixture.git("worktree", "add", "-q", "--detach", disk + "/spike")
        let spike = try fixture.commit("s.txt", "spike\n", in: disk + "/spike")
        try runProcess("/bin/umount", [disk]).check()
        mounted = false
        _ = try fixture.prune()
        #expect(try reachable(spike))
    }

    @Test("A9: a commit made on a detached HEAD while prune waits for the session's lock survives")
    func detachedCommitDuringPruneSurvives() throws {
        let (worktree, branch, _) = try fixture.shipped(9)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        try FileManager.default.createDirectory(atPath: fixture.home + "/locks", withIntermediateDirectories: true)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [fixture.home + "/locks/work-9.lock", "-c", "sleep 3"]
        try holder.run()
        Thread.sleep(forTimeInterval: 0.5)
        let prune = try fixture.launchPPDS(["prune"])
        Thread.sleep(forTimeInterval: 1.5)
        try fixture.git("checkout", "-q", "--detach", in: worktree)
        let late = try fixture.commit("late.txt", "late work\n", in: worktree)
        prune.waitUntilExit()
        holder.waitUntilExit()
        #expect(try reachable(late))
    }
}
