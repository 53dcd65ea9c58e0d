import Foundation
import Testing
import TestSupport

/// Every verb that changes a session takes `--repo`, and never changes a session of another
/// repository than the one it runs for.
@Suite struct RepoScopeTests {
    @Test func verbsOfOneRepositoryNeverChangeAnothersSession() throws {
        let fixture = try GitFixture()
        let other = fixture.folder.file("other")
        try fixture.git("init", "-q", "-b", "main", other)
        try fixture.commit("x.txt", "x", in: other)
        try fixture.started(7, title: "Seven")
        let file = fixture.home + "/sessions/work-7.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        for arguments in [["update", "7", "--status", "working"], ["guide", "7", "hello"], ["pause", "7"],
                          ["ship", "7", "--pr", "https://example.com/o/r/pull/7"]] {
            let result = try fixture.ppds(arguments, in: other)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(fixture.repo), "\(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        }
        // From the other repository, --repo names this one.
        try fixture.ppds(["guide", "7", "hello", "--repo", fixture.repo], in: other).check()
        try fixture.ppds(["pause", "7", "--repo", fixture.repo], in: other).check()
        try fixture.ppds(["resume", "7", "--repo", fixture.repo], in: other).check()
        try fixture.ppds(["update", "7", "--status", "working", "--repo", fixture.repo], in: other).check()
        try fixture.ppds(["ship", "7", "--pr", "https://example.com/o/r/pull/7", "--repo", fixture.repo], in: other).check()
        let shown = try fixture.ppds(["show", "7", "--json"]).json()
        #expect((shown["session"] as? [String: Any])?["status"] as? String == "complete")
    }

    @Test func statusesAndDurationsAreParsedOnceAsArguments() throws {
        let fixture = try GitFixture()
        try fixture.started(8, title: "Eight")
        let bad = try fixture.ppds(["update", "8", "--status", "wroking"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("wroking"))
        #expect(try fixture.ppds(["update", "8", "--status", "pr_ready"]).status == 0)
        #expect(try fixture.ppds(["status", "--stale-after", "soon"]).status == 64)
        #expect(try fixture.ppds(["prune", "--min-age", "-3"]).status == 64)
        #expect(try fixture.ppds(["prune", "--min-age", "90s", "--dry-run"]).status == 0)
    }
}
