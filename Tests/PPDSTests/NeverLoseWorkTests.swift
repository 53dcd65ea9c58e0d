import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// One scenario per way a plain prune, cancel or doctor used to lose work (issue 9), on real
/// repositories through the built binary. Each asserts that the commits and files are still
/// there afterwards.
@Suite struct NeverLoseWorkTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func commitExists(_ commit: String, in directory: String? = nil) throws -> Bool {
        try fixture.gitResult(["cat-file", "-e", commit + "^{commit}"], in: directory).status == 0
    }

    @Test("1: a binary change is not merged because the patch text of binaries matches")
    func binaryChangeIsNotPatchIDMerged() throws {
        let (worktree, branch) = try fixture.started(1, title: "Binary")
        try writeBytes([0, 1, 2, 0x59, 0, 0x59], to: worktree + "/bin.dat")
        try fixture.git("add", "bin.dat", in: worktree)
        try fixture.git("commit", "-q", "-m", "bytes Y", in: worktree)
        let tip = try fixture.git("rev-parse", "HEAD", in: worktree)
        try fixture.ppds(["ship", "1", "--pr", "https://example.com/o/r/pull/1", "--force"]).check()
        try writeBytes([0, 1, 2, 0x58, 0, 0x58], to: fixture.repo + "/bin.dat")
        try fixture.git("add", "bin.dat")
        try fixture.git("commit", "-q", "-m", "bytes X")
        #expect(try fixture.git("cherry", "main", tip).hasPrefix("+"))
        let (_, items) = try fixture.prune()
        #expect(items["#1"]?["outcome"] as? String == "keptUnmerged")
        #expect(try fixture.branchExists(branch))
        #expect(try commitExists(tip))
    }

    @Test("2: a whitespace-only difference that changes meaning is a hint, never merged")
    func whitespaceMatchIsOnlyAHint() throws {
        try fixture.commit("app.py", "if ready:\n    go = 1 \nstop()\n")
        let (worktree, branch) = try fixture.started(2, title: "Indent")
        try fixture.commit("app.py", "if ready:\n    pass\ngo = 1 \nstop()\n", message: "run go always", in: worktree)
        let tip = try fixture.git("rev-parse", "HEAD", in: worktree)
        try fixture.ppds(["ship", "2", "--pr", "https://example.com/o/r/pull/2", "--force"]).check()
        try fixture.commit("app.py", "if ready:\n    pass\n    go = 1\nstop()\n", message: "strip a trailing space")
        let (_, items) = try fixture.prune()
        #expect(items["#2"]?["outcome"] as? String == "keptUnmerged")
        #expect(try fixture.branchExists(branch))
        #expect(try commitExists(tip))
    }

    @Test("3: a detached HEAD with new commits keeps the worktree although the branch is merged")
    func detachedHeadCommitsAreKept() throws {
        let (worktree, branch, _) = try fixture.shipped(3)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        try fixture.git("checkout", "-q", "--detach", in: worktree)
        let orphan = try fixture.commit("later.txt", "after the merge", in: worktree)
        let (_, items) = try fixture.prune()
        #expect(items["#3"]?["outcome"] as? String == "keptUnmerged")
        #expect(FileManager.default.fileExists(atPath: worktree + "/later.txt"))
        #expect(try fixture.git("rev-parse", "HEAD", in: worktree) == orphan)
    }

    @Test("4: a submodule with a local commit keeps the worktree, even with --force")
    func submoduleWithLocalCommitIsKept() throws {
        let library = fixture.folder.file("library")
        try fixture.git("init", "-q", "-b", "main", library)
        try fixture.commit("lib.txt", "v1", in: library)
        try fixture.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "sub")
        try fixture.git("commit", "-q", "-m", "add submodule")
        let (worktree, branch, _) = try fixture.shipped(4)
        try fixture.git("-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init", in: worktree)
        let local = try fixture.commit("lib.txt", "v2, never pushed", in: worktree + "/sub")
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        let (_, items) = try fixture.prune()
        #expect(items["#4"]?["outcome"] as? String == "keptDirty")
        let (_, forced) = try fixture.prune(["--force"])
        #expect(forced["#4"]?["outcome"] as? String == "keptDirty")
        #expect((forced["#4"]?["reason"] as? String ?? "").contains("on no remote"))
        #expect(try commitExists(local, in: worktree + "/sub"))
    }

    @Test("5: an active session's worktree on an unmounted disk keeps its git entry")
    func missingFolderOfAnActiveSessionKeepsItsEntry() throws {
        let (worktree, _) = try fixture.started(5, title: "On a USB disk")
        try fixture.started(6, title: "Here")
        try "in progress\n".write(toFile: worktree + "/draft.txt", atomically: true, encoding: .utf8)
        let away = fixture.folder.file("unmounted")
        try FileManager.default.moveItem(atPath: worktree, toPath: away)
        let (result, _) = try fixture.prune()
        #expect((result.stdout + result.stderr).contains("worktreeMissing"))
        let doctor = try fixture.ppds(["doctor", "--fix"])
        #expect(doctor.status == 1)
        try FileManager.default.moveItem(atPath: away, toPath: worktree)
        #expect(try fixture.gitResult(["status", "--porcelain"], in: worktree).stdout.contains("draft.txt"))
    }

    @Test("6: one repository reached by two paths is one repository")
    func repositoryReachedByTwoPathsIsOne() throws {
        let second = fixture.folder.file("second-path")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        guard try runProcess("/bin/mount", ["--bind", fixture.repo, second]).status == 0 else { return }  // no mounts here
        defer { _ = try? runProcess("/bin/umount", [second]) }
        let (worktree, _) = try fixture.started(7, title: "Through A")
        try "work in progress\n".write(toFile: worktree + "/wip.txt", atomically: true, encoding: .utf8)
        try fixture.git("add", "wip.txt", in: worktree)
        let status = try fixture.ppds(["status", "--json"], in: second)
        #expect((try status.json()["sessions"] as? [[String: Any]])?.count == 1)
        let prune = try fixture.ppds(["prune", "--all", "--force", "--min-age", "0", "--json"], in: second)
        #expect(!prune.stdout.contains("\"removed\""))
        #expect(FileManager.default.fileExists(atPath: worktree + "/wip.txt"))
    }

    @Test("7: doctor --fix never removes another repository's worktree at an intent's path")
    func rollbackLeavesAnotherRepositorysWorktree() throws {
        let killed = try fixture.ppds(["start-work", "8", "--offline", "--title", "Killed early"], environment: ["PPDS_FAULT": "afterIntent:kill"])
        #expect(killed.status == 9)
        let intentName = try #require(try FileManager.default.contentsOfDirectory(atPath: fixture.home + "/intents").first { $0.hasPrefix("start-work-8-") })
        let intentFile = fixture.home + "/intents/" + intentName
        let intent = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: intentFile))) as? [String: Any])
        let path = try #require(intent["worktree"] as? String)
        let other = fixture.folder.file("other-repo")
        try fixture.git("init", "-q", "-b", "main", other)
        try fixture.commit("theirs.txt", "theirs", in: other)
        try fixture.git("worktree", "add", "-q", path, "-b", "their-branch", in: other)
        try "their work\n".write(toFile: path + "/uncommitted.txt", atomically: true, encoding: .utf8)
        _ = try fixture.ppds(["doctor", "--fix"])
        _ = try fixture.ppds(["start-work", "8", "--offline", "--title", "Killed early"])
        #expect(FileManager.default.fileExists(atPath: path + "/uncommitted.txt"))
        #expect(try fixture.gitResult(["status"], in: path).status == 0)
    }

    @Test("7b: a forged start-work intent never makes recovery delete a branch")
    func forgedIntentDeletesNoBranch() throws {
        try fixture.git("branch", "release/2.0")
        let tip = try fixture.commit("release.txt", "unpushed release fix", in: nil)
        try fixture.git("branch", "-f", "release/2.0", tip)
        try fixture.git("reset", "-q", "--hard", "HEAD~1")
        let intents = fixture.home + "/intents"
        try FileManager.default.createDirectory(atPath: intents, withIntermediateDirectories: true)
        let forged: [String: Any] = ["operation": "start-work", "issue": 70, "repo": fixture.repo, "branch": "release/2.0",
                                     "worktree": fixture.folder.file("nowhere"), "commit": tip, "pid": 999_999, "created": "2025-01-01T00:00:00Z"]
        try JSONSerialization.data(withJSONObject: forged).write(to: URL(fileURLWithPath: intents + "/start-work-70.json"))
        _ = try fixture.ppds(["doctor", "--fix"])
        _ = try fixture.ppds(["start-work", "70", "--offline", "--title", "Seventy"])
        #expect(try fixture.git("rev-parse", "release/2.0") == tip)
    }

    @Test("8: never removes across a mount point, even with --force")
    func mountPointInsideIsNeverCrossed() throws {
        let (worktree, branch, _) = try fixture.shipped(9)
        try fixture.git("merge", "-q", branch)
        let mount = worktree + "/volume"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        guard try runProcess("/bin/mount", ["-t", "tmpfs", "none", mount]).status == 0 else { return }
        defer { _ = try? runProcess("/bin/umount", [mount]) }
        try "precious\n".write(toFile: mount + "/data.txt", atomically: true, encoding: .utf8)
        let (_, items) = try fixture.prune(["--force"])
        #expect(items["#9"]?["outcome"] as? String == "keptMounted")
        #expect(FileManager.default.fileExists(atPath: mount + "/data.txt"))
    }

    @Test("9: edits hidden by skip-worktree or assume-unchanged count as dirty",
          arguments: ["--skip-worktree", "--assume-unchanged"])
    func hiddenEditsAreDirty(flag: String) throws {
        let (worktree, branch, _) = try fixture.shipped(10)
        try fixture.git("merge", "-q", branch)
        try "edited but hidden\n".write(toFile: worktree + "/src/app.txt", atomically: true, encoding: .utf8)
        try fixture.git("update-index", flag, "src/app.txt", in: worktree)
        #expect(try fixture.git("status", "--porcelain", in: worktree).isEmpty)
        let (_, items) = try fixture.prune()
        #expect(items["#10"]?["outcome"] as? String == "keptDirty")
        #expect(try String(contentsOfFile: worktree + "/src/app.txt", encoding: .utf8) == "edited but hidden\n")
    }

    @Test("10: a finished session naming another session's folder removes nothing",
          arguments: ["direct", "symlink", "own worktree"])
    func lyingWorktreePathRemovesNothing(way: String) throws {
        let (active, _) = try fixture.started(11, title: "Active one")
        try "uncommitted\n".write(toFile: active + "/mine.txt", atomically: true, encoding: .utf8)
        var target = active
        if way == "symlink" {
            target = fixture.folder.file("link-to-active")
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: active)
        } else if way == "own worktree" {
            target = fixture.folder.file("by-hand")
            try fixture.git("worktree", "add", "-q", "-b", "by-hand", target)
            try "theirs\n".write(toFile: target + "/mine.txt", atomically: true, encoding: .utf8)
        }
        let (own, branch, _) = try fixture.shipped(12)
        try fixture.git("merge", "-q", branch)
        // Its own folder is gone, so nothing else holds its branch: only the lie decides.
        try fixture.git("worktree", "remove", own)
        let file = fixture.home + "/sessions/work-12.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        json["worktree"] = target
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
        for arguments in [[], ["--force"], ["--force", "--force-delete"]] {
            let (_, items) = try fixture.prune(arguments)
            #expect(items["#12"]?["outcome"] as? String != "removed")
            #expect(FileManager.default.fileExists(atPath: target + "/mine.txt"))
        }
        #expect(FileManager.default.fileExists(atPath: active + "/mine.txt"))
    }

    @Test("16: two prunes at once both succeed and leave no intent records")
    func concurrentPrunesTakeTurns() throws {
        for issue in 13...15 {
            let (_, branch, _) = try fixture.shipped(issue, file: "f\(issue).txt")
            try fixture.git("merge", "-q", "--no-ff", "-m", "merge \(issue)", branch)
        }
        let first = try fixture.launchPPDS(["prune"])
        let second = try fixture.launchPPDS(["prune"])
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.terminationStatus == 0)
        let intents = (try? FileManager.default.contentsOfDirectory(atPath: fixture.home + "/intents")) ?? []
        #expect(intents.filter { $0.hasSuffix(".json") }.isEmpty)
        #expect((13...15).allSatisfy { !fixture.sessionFileExists($0) })
    }

    @Test("17: a folder a killed prune left behind is finished or reported, never called healthy")
    func leftoverFolderIsFinishedOrReported() throws {
        for (issue, extra) in [(16, false), (17, true)] {
            let (worktree, branch, commit) = try fixture.shipped(issue, file: "f\(issue).txt")
            try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
            let dotGit = try String(contentsOfFile: worktree + "/.git", encoding: .utf8)
            let killed = try fixture.ppds(["prune", String(issue)], environment: ["PPDS_FAULT": "pruneAfterWorktree:kill"])
            #expect(killed.status == 9)
            // What a removal killed between the entry and the folder leaves: part of the
            // checked-out files and the .git link, with no entry.
            try FileManager.default.createDirectory(atPath: worktree, withIntermediateDirectories: true)
            let archive = fixture.folder.file("part-\(issue).tar")
            try fixture.git("archive", "-o", archive, commit, "README.md")
            try runProcess("/bin/tar", ["-x", "-f", archive, "-C", worktree]).check()
            try dotGit.write(toFile: worktree + "/.git", atomically: true, encoding: .utf8)
            if extra { try "new work\n".write(toFile: worktree + "/new.txt", atomically: true, encoding: .utf8) }
            #expect(try fixture.ppds(["doctor"]).status == 1)
            let fixed = try fixture.ppds(["doctor", "--fix"])
            // Issue 18: the killed prune had moved the worktree to the trash; a folder now in
            // its place is someone's and stays, the trashed worktree waits, and doctor says so.
            #expect(fixed.status == 1, "\(fixed.stdout)")
            #expect(FileManager.default.fileExists(atPath: worktree + "/README.md"))
            if extra { #expect(FileManager.default.fileExists(atPath: worktree + "/new.txt")) }
            // Once the folder is moved away, the trashed worktree is put back whole.
            try FileManager.default.moveItem(atPath: worktree, toPath: worktree + "-aside")
            let again = try fixture.ppds(["doctor", "--fix"])
            #expect(try fixture.git("status", "--porcelain", in: worktree) == "", "\(again.stdout)")
        }
    }

    @Test("18: prune --dry-run lists ignored content; a nested repository with its own commits keeps the worktree")
    func ignoredContentIsListedAndNestedRepositoriesKept() throws {
        try fixture.commit(".gitignore", ".env\nbuild/\nvendor/\n")
        let (worktree, branch, _) = try fixture.shipped(18)
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        try "SECRET=1\n".write(toFile: worktree + "/.env", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: worktree + "/build", withIntermediateDirectories: true)
        try "object\n".write(toFile: worktree + "/build/out.o", atomically: true, encoding: .utf8)
        let (_, dry) = try fixture.prune(["--dry-run"])
        #expect(dry["#18"]?["outcome"] as? String == "wouldRemove")
        #expect(Set(dry["#18"]?["ignored"] as? [String] ?? []) == [".env", "build/"])
        let text = try fixture.ppds(["prune", "--dry-run"])
        #expect(text.stdout.contains(".env"))
        let nested = worktree + "/vendor/lib"
        try fixture.git("init", "-q", "-b", "main", nested)
        let unique = try fixture.commit("lib.txt", "only here", in: nested)
        let (_, items) = try fixture.prune(["--force"])
        #expect(items["#18"]?["outcome"] as? String == "keptDirty")
        #expect(try commitExists(unique, in: nested))
    }

    @Test("19: prune naming nothing mentions a session file it could not read")
    func pruneMentionsUnreadableSessionFiles() throws {
        try FileManager.default.createDirectory(atPath: fixture.home + "/sessions", withIntermediateDirectories: true)
        try "{ not json".write(toFile: fixture.home + "/sessions/work-99.json", atomically: true, encoding: .utf8)
        let result = try fixture.ppds(["prune"])
        #expect((result.stdout + result.stderr).contains("work-99.json"))
        let json = try fixture.ppds(["prune", "--json"]).json()
        #expect((json["warnings"] as? [String] ?? []).contains { $0.contains("work-99.json") })
    }
}
