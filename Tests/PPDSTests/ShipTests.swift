import Foundation
import Testing
import TestSupport

/// `ppds ship`'s guardrails, `--push` and `--create-pr`, and `ppds adopt`, on a repository
/// with a bare origin reached through file://.
@Suite struct ShipTests {
    let fixture: GitFixture
    let origin: String

    init() throws {
        fixture = try GitFixture()
        origin = try fixture.addBareOrigin(fileURL: true)
    }

    func session(_ issue: Int) throws -> [String: Any] {
        try #require((try fixture.ppds(["show", String(issue), "--json"]).json())["session"] as? [String: Any])
    }

    func remoteTip(_ branch: String) throws -> String {
        try fixture.git("--git-dir", origin, "rev-parse", "-q", "--verify", "refs/heads/" + branch)
    }

    func ghStandIn(_ body: String) throws -> (path: String, log: String) {
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let log = fixture.folder.file("gh-args.txt")
        try "#!/bin/sh\nprintf '%s\\n' \"$@\" > \(log)\npwd >> \(log)\n\(body)\n".write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        return (bin + ":/usr/bin:/bin", log)
    }

    @Test func shipRefusesUnpushedAndDirtyWorkUnlessForced() throws {
        let (worktree, branch) = try fixture.started(1, title: "One")
        try fixture.commit("one.txt", "one", in: worktree)
        let url = "https://example.com/o/r/pull/1"

        let noUpstream = try fixture.ppds(["ship", "1", "--pr", url])
        #expect(noUpstream.status == 2)
        #expect(noUpstream.stderr.contains("the branch \(branch) has no upstream"), "\(noUpstream.stderr)")

        try fixture.git("push", "-q", "-u", "origin", branch, in: worktree)
        try fixture.commit("two.txt", "two", in: worktree)
        try "scratch".write(toFile: worktree + "/notes.txt", atomically: true, encoding: .utf8)
        let both = try fixture.ppds(["ship", "1", "--pr", url])
        #expect(both.status == 2)
        #expect(both.stderr.contains("1 commit not on origin/\(branch)"), "\(both.stderr)")
        #expect(both.stderr.contains("uncommitted work: 1 untracked file"), "\(both.stderr)")
        #expect(try session(1)["status"] as? String == "registered")

        // Clean and pushed: ships.
        try FileManager.default.removeItem(atPath: worktree + "/notes.txt")
        try fixture.git("push", "-q", "origin", branch, in: worktree)
        try "line 1 edited\n".write(toFile: worktree + "/src/app.txt", atomically: true, encoding: .utf8)
        let dirty = try fixture.ppds(["ship", "1", "--pr", url])
        #expect(dirty.status == 2)
        #expect(dirty.stderr.contains("1 changed file"), "\(dirty.stderr)")
        let forced = try fixture.ppds(["ship", "1", "--pr", url, "--force"]).check()
        #expect(forced.stderr.contains("warning (--force)"))
        #expect(try session(1)["status"] as? String == "complete")
    }

    @Test func shipPushPushesSetsTheUpstreamAndShips() throws {
        let (worktree, branch) = try fixture.started(2, title: "Two")
        let tip = try fixture.commit("two.txt", "two", in: worktree)
        let result = try fixture.ppds(["ship", "2", "--push", "--pr", "https://example.com/o/r/pull/2"], in: worktree).check()
        #expect(result.stdout.contains("pushed \(branch) to origin (upstream set)"), "\(result.stdout)")
        #expect(try remoteTip(branch) == tip)
        #expect(try fixture.git("config", "branch.\(branch).remote") == "origin")
        #expect(try fixture.git("config", "branch.\(branch).merge") == "refs/heads/\(branch)")
        #expect(try fixture.git("rev-parse", "origin/\(branch)") == tip)
        #expect(try fixture.git("status", "-sb", in: worktree).contains("...origin/\(branch)"))
        #expect(try session(2)["status"] as? String == "complete")
    }

    @Test func aRejectedPushIsAClearErrorAndNothingShips() throws {
        let (worktree, branch) = try fixture.started(3, title: "Three")
        try fixture.commit("three.txt", "three", in: worktree)
        try fixture.git("push", "-q", "-u", "origin", branch, in: worktree)
        let pushed = try fixture.git("rev-parse", "HEAD", in: worktree)
        try fixture.git("reset", "-q", "--hard", "HEAD~1", in: worktree)
        try fixture.commit("three.txt", "another three", in: worktree)
        let result = try fixture.ppds(["ship", "3", "--push", "--pr", "https://example.com/o/r/pull/3"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("not a fast-forward"), "\(result.stderr)")
        #expect(try remoteTip(branch) == pushed)
        #expect(try session(3)["status"] as? String == "registered")
        // A dirty worktree is refused before anything is pushed.
        try "x".write(toFile: worktree + "/untracked.txt", atomically: true, encoding: .utf8)
        let (other, otherBranch) = try fixture.started(4, title: "Four")
        try fixture.commit("four.txt", "four", in: other)
        try "x".write(toFile: other + "/untracked.txt", atomically: true, encoding: .utf8)
        let dirty = try fixture.ppds(["ship", "4", "--push", "--pr", "https://example.com/o/r/pull/4"])
        #expect(dirty.status == 2)
        #expect(try fixture.gitResult(["--git-dir", origin, "rev-parse", "-q", "--verify", "refs/heads/" + otherBranch]).status != 0)
    }

    @Test func createPRRecordsTheURLThatGhPrints() throws {
        let (worktree, branch) = try fixture.started(5, title: "Five")
        try fixture.commit("five.txt", "five", in: worktree)
        let gh = try ghStandIn("echo 'Creating pull request for \(branch) into main'\necho 'https://github.com/o/r/pull/55'")
        let result = try fixture.ppds(["ship", "5", "--push", "--create-pr", "--json"], environment: ["PATH": gh.path]).check()
        let shipped = try #require((try result.json())["session"] as? [String: Any])
        #expect(shipped["pr"] as? String == "https://github.com/o/r/pull/55")
        #expect(shipped["status"] as? String == "complete")
        let log = try String(contentsOfFile: gh.log, encoding: .utf8)
        #expect(log == "pr\ncreate\n--fill\n--head\n\(branch)\n\(worktree)\n", "\(log)")
    }

    @Test func createPRFailingOrMissingRecordsNothing() throws {
        let (worktree, branch) = try fixture.started(6, title: "Six")
        try fixture.commit("six.txt", "six", in: worktree)
        try fixture.git("push", "-q", "-u", "origin", branch, in: worktree)
        let failing = try ghStandIn("echo 'gh: not logged in' >&2\nexit 4")
        let failed = try fixture.ppds(["ship", "6", "--create-pr"], environment: ["PATH": failing.path])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("gh pr create failed: gh: not logged in"), "\(failed.stderr)")
        #expect(try session(6)["status"] as? String == "registered")
        #expect(try session(6)["pr"] == nil)

        let noURL = try ghStandIn("echo 'done'")
        #expect(try fixture.ppds(["ship", "6", "--create-pr"], environment: ["PATH": noURL.path]).stderr.contains("no pull request URL"))

        let missing = try fixture.ppds(["ship", "6", "--create-pr"], environment: ["PATH": fixture.folder.file("nothing")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("needs the gh CLI"), "\(missing.stderr)")
        #expect(try session(6)["status"] as? String == "registered")

        #expect(try fixture.ppds(["ship", "6"]).status == 64)
        #expect(try fixture.ppds(["ship", "6", "--create-pr", "--pr", "https://example.com/o/r/pull/6"]).status == 64)
    }
}
