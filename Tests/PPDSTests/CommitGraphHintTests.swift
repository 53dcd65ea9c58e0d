import Foundation
import Lifecycle
import Testing
import TestSupport

/// `merged` and `prune` suggest git's commit-graph once per run after walking a long history
/// without one, and say nothing when there is one, when the history is short, or when the
/// repository turned graphs off. ppds never writes the graph.
@Suite struct CommitGraphHintTests {
    let fixture: GitFixture
    static let command = "git commit-graph write --reachable --changed-paths"

    init() throws {
        fixture = try GitFixture()
    }

    /// An unmerged branch forked at the start, then `count` commits on main (one fast-import).
    func longHistory(_ count: Int = 2_500) throws {
        try fixture.git("branch", "open")
        try fixture.git("checkout", "-q", "open")
        try fixture.commit("src/app.txt", "the branch's own line\n")
        try fixture.git("checkout", "-q", "main")
        let parent = try fixture.git("rev-parse", "HEAD")
        var stream = ""
        for index in 0..<count {
            let message = "filler \(index)\n"
            stream += "commit refs/heads/main\ncommitter ppds test <test@ppds.invalid> \(1_700_000_000 + index) +0000\n"
            stream += "data \(message.utf8.count)\n\(message)"
            if index == 0 { stream += "from \(parent)\n" }
            stream += "M 100644 inline filler.txt\ndata \(message.utf8.count)\n\(message)\n"
        }
        try runProcess("/usr/bin/git", ["-C", fixture.repo, "fast-import", "--quiet", "--force"], stdin: stream).check()
        try fixture.git("reset", "-q", "--hard", "main")
    }

    func hints(_ result: ProcessResult) throws -> [[String: Any]] {
        try #require(try result.json()["hints"] as? [[String: Any]])
    }

    var graphFiles: [String] {
        ["/.git/objects/info/commit-graph", "/.git/objects/info/commit-graphs"].filter {
            FileManager.default.fileExists(atPath: fixture.repo + $0)
        }
    }

    @Test func theDecision() {
        #expect(RunHint.commitGraph(walked: 1_999, graphMissing: true) == nil)
        #expect(RunHint.commitGraph(walked: 2_000, graphMissing: false) == nil)
        let hint = RunHint.commitGraph(walked: 2_000, graphMissing: true)
        #expect(hint?.kind == .commitGraphMissing)
        #expect(hint?.commands.first == Self.command)
        #expect(hint?.message.contains(Self.command) == true)
    }

    @Test func mergedSuggestsTheGraphOnceAfterALongWalkAndNotWithOne() throws {
        try longHistory()
        let json = try fixture.ppds(["merged", "open", "--json"]).check()
        let given = try hints(json)
        #expect(given.count == 1)
        #expect(given.first?["kind"] as? String == "commitGraphMissing")
        #expect((given.first?["commands"] as? [String])?.first == Self.command)
        #expect(json.stderr.isEmpty, "JSON mode keeps stderr quiet: \(json.stderr)")
        let text = try fixture.ppds(["merged"]).check()
        #expect(text.stdout == "open\tnot merged\n")
        #expect(text.stderr.components(separatedBy: Self.command).count == 2, "once: \(text.stderr)")
        #expect(graphFiles.isEmpty, "ppds never writes the graph")

        try fixture.git("commit-graph", "write", "--reachable", "--changed-paths")
        let withGraph = try fixture.ppds(["merged", "open", "--json"]).check()
        #expect(try hints(withGraph).isEmpty)
        #expect((try withGraph.json()["branches"] as? [[String: Any]])?.first?["merged"] is NSNull)
        #expect(try fixture.ppds(["merged"]).check().stderr.isEmpty)
    }

    @Test func aShortHistoryOrGraphsTurnedOffGetNoHint() throws {
        try fixture.git("branch", "short")
        try fixture.git("checkout", "-q", "short")
        try fixture.commit("src/app.txt", "short's line\n")
        try fixture.git("checkout", "-q", "main")
        try fixture.commit("other.txt", "main moves\n")
        #expect(try hints(try fixture.ppds(["merged", "--json"]).check()).isEmpty)

        try longHistory()
        try fixture.git("config", "core.commitGraph", "false")
        let off = try fixture.ppds(["merged", "--json"]).check()
        #expect(try hints(off).isEmpty)
        #expect((try off.json()["branches"] as? [[String: Any]])?.count == 2)
    }

    @Test func pruneSuggestsTheGraphOnceAfterALongWalk() throws {
        let (worktree, _) = try fixture.started(1, title: "Work 1")
        try fixture.commit("f1.txt", "work 1\n", in: worktree)
        try fixture.ppds(["ship", "1", "--pr", "https://example.com/o/r/pull/1", "--force"]).check()
        try longHistory()
        let (result, items) = try fixture.prune(["--dry-run"])
        try result.check()
        #expect(items["#1"]?["outcome"] as? String == "keptUnmerged")
        #expect(try hints(result).map { $0["kind"] as? String } == ["commitGraphMissing"])
        let text = try fixture.ppds(["prune", "--dry-run"]).check()
        #expect(text.stderr.components(separatedBy: Self.command).count == 2, "once: \(text.stderr)")

        try fixture.git("commit-graph", "write", "--reachable", "--changed-paths")
        let (withGraph, after) = try fixture.prune(["--dry-run"])
        #expect(after["#1"]?["outcome"] as? String == "keptUnmerged")
        #expect(try hints(withGraph).isEmpty)
    }
}
