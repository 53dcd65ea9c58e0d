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
        try fixture.ppds(["ship", "7", "--pr", "https://example.com/o/r/pull/7", "--force", "--repo", fixture.repo], in: other).check()
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

    /// The same issue number active in two repositories under one PPDS_HOME: each keeps its
    /// own session; the first keeps the spec's layout.
    @Test func theSameIssueNumberInTwoRepositories() throws {
        let fixture = try GitFixture()
        let other = fixture.folder.file("other")
        try runProcess("/bin/cp", ["-a", fixture.repo, other]).check()
        let (first, _) = try fixture.started(3102, title: "First repo")
        let second = try fixture.ppds(["start-work", "3102", "--offline", "--title", "Second repo", "--json"], in: other)
        try second.check()
        let secondWorktree = try #require(((try second.json()["results"] as? [[String: Any]])?.first)?["worktree"] as? String)
        #expect(secondWorktree != first)
        // The first keeps the spec's place; the second lives in its repository's folder.
        #expect(fixture.sessionFileExists(3102))
        let folders = try FileManager.default.contentsOfDirectory(atPath: fixture.home + "/sessions").filter { !$0.hasSuffix(".json") }
        #expect(folders.count == 1 && folders[0].hasPrefix("other-"))
        // Each verb acts on its own repository's #3102.
        try fixture.ppds(["update", "3102", "--status", "stuck", "--reason", "second asks"], in: other).check()
        try fixture.ppds(["update", "3102", "--status", "working"]).check()
        let mine = try fixture.ppds(["show", "3102", "--json"]).json()["session"] as? [String: Any]
        let theirs = try fixture.ppds(["show", "3102", "--json"], in: other).json()["session"] as? [String: Any]
        #expect(mine?["status"] as? String == "working")
        #expect(theirs?["status"] as? String == "stuck")
        #expect(try fixture.ppds(["path", "3102"], in: other).check().stdout == secondWorktree + "\n")
        // Inside the second worktree, the issue is inferred from its own repository.
        try fixture.ppds(["update", "--status", "working"], in: secondWorktree).check()
        // Both, grouped by repository.
        let everything = try fixture.ppds(["status", "--all-repos", "--json"]).json()
        let repositories = everything["repositories"] as? [[String: Any]] ?? []
        #expect(repositories.count == 2)
        #expect(repositories.allSatisfy { (($0["sessions"] as? [[String: Any]])?.count ?? 0) == 1 })
        let text = try fixture.ppds(["status", "--all-repos"]).check().stdout
        #expect(text.contains("▸ " + fixture.repo) && text.contains("▸ " + other))
        // Pruning one never touches the other.
        try fixture.ppds(["cancel", "3102"]).check()
        let (_, items) = try fixture.prune(["--force-delete", "--min-age", "0"])
        #expect(items["#3102"]?["outcome"] as? String == "removed")
        #expect(FileManager.default.fileExists(atPath: secondWorktree))
        let stillTheirs = try fixture.ppds(["show", "3102", "--json"], in: other).json()["session"] as? [String: Any]
        #expect(stillTheirs?["status"] as? String == "working")
    }
}
