import Foundation
import Testing
import TestSupport

/// `ppds adopt`: a worktree made with `git worktree add` becomes a session; git is untouched.
@Suite struct AdoptTests {
    let fixture: GitFixture

    init() throws {
        fixture = try GitFixture()
        try fixture.addBareOrigin(fileURL: true)
    }

    /// Everything git keeps that adopt must not change.
    func gitState() throws -> String {
        try [fixture.git("for-each-ref"), fixture.git("worktree", "list", "--porcelain"), fixture.git("config", "--list", "--local"),
             fixture.git("status", "--porcelain")].joined(separator: "\n")
    }

    @Test func adoptsALinkedWorktreeWithItsBranchAndMergeBase() throws {
        let folder = fixture.folder.file("by-hand")
        try fixture.git("worktree", "add", "-q", "-b", "topic/by-hand", folder, "main")
        let forkPoint = try fixture.git("rev-parse", "main")
        try fixture.commit("hand.txt", "by hand", in: folder)
        try fixture.commit("later.txt", "later on main")
        try fixture.git("push", "-q", "origin", "main")
        let before = try gitState()

        let result = try fixture.ppds(["adopt", folder + "/", "#41", "--json"]).check()
        let session = try #require((try result.json())["session"] as? [String: Any])
        #expect(session["status"] as? String == "registered")
        #expect(session["branch"] as? String == "topic/by-hand")
        #expect(session["worktree"] as? String == URL(fileURLWithPath: folder).resolvingSymlinksInPath().path)
        #expect(session["base"] as? String == "origin/main")
        #expect(session["baseCommit"] as? String == forkPoint)
        // Its block of ports, like a started session's (see SessionPortsTests).
        #expect((session["ports"] as? [String: Any])?["first"] as? Int == 41000)
        #expect(session["repo"] as? String == URL(fileURLWithPath: fixture.repo).resolvingSymlinksInPath().path)
        #expect(try gitState() == before)
        // The session is a session like any other: show, update and path work from inside it.
        #expect(try fixture.ppds(["path"], in: folder).check().stdout.contains("by-hand"))
        try fixture.ppds(["update", "--status", "working"], in: folder).check()
    }

    @Test func refusesWhatIsNotAnAdoptableWorktree() throws {
        let detached = fixture.folder.file("detached")
        try fixture.git("worktree", "add", "-q", "--detach", detached, "main")
        let plain = fixture.folder.file("plain")
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        let mine = fixture.folder.file("mine")
        try fixture.git("worktree", "add", "-q", "-b", "topic/mine", mine, "main")
        let other = fixture.folder.file("other")
        try fixture.git("worktree", "add", "-q", "-b", "topic/other", other, "main")
        let before = try gitState()

        let head = try fixture.ppds(["adopt", detached, "7"])
        #expect(head.status == 2)
        #expect(head.stderr.contains("detached HEAD"), "\(head.stderr)")
        let notOne = try fixture.ppds(["adopt", plain, "7"])
        #expect(notOne.status == 2)
        #expect(notOne.stderr.contains("is not a linked worktree of"), "\(notOne.stderr)")
        let main = try fixture.ppds(["adopt", fixture.repo, "7"])
        #expect(main.status == 2)
        #expect(main.stderr.contains("main worktree"), "\(main.stderr)")

        try fixture.ppds(["adopt", mine, "7"]).check()
        let claimed = try fixture.ppds(["adopt", mine, "8"])
        #expect(claimed.status == 2)
        #expect(claimed.stderr.contains("#7's session already claims"), "\(claimed.stderr)")
        let taken = try fixture.ppds(["adopt", other, "7"])
        #expect(taken.status == 2)
        #expect(taken.stderr.contains("#7 already has a session"), "\(taken.stderr)")
        #expect(try gitState() == before)
        // A worktree of start-work's is claimed too.
        let (started, _) = try fixture.started(9, title: "Nine")
        let startedClaim = try fixture.ppds(["adopt", started, "10"])
        #expect(startedClaim.status == 2)
        #expect(!fixture.sessionFileExists(8) && !fixture.sessionFileExists(10))
    }
}
