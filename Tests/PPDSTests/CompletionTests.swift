import Foundation
import Testing
import TestSupport

/// The completion script and ppds's own completions, called the way the bash script calls them.
@Suite struct CompletionTests {
    @Test func issuesRefsAndStatusesComplete() throws {
        let fixture = try GitFixture()
        let origin = fixture.folder.file("origin.git")
        try fixture.git("clone", "-q", "--bare", fixture.repo, origin)
        try fixture.git("remote", "add", "origin", "file://" + origin)
        try fixture.git("fetch", "-q", "origin")
        try fixture.started(12, title: "Twelve")
        try fixture.started(3, title: "Three")

        let script = try fixture.ppds(["--generate-completion-script", "bash"]).check().stdout
        #expect(script.contains("---completion ship -- positional@0"))
        #expect(script.contains("'planning_complete'"))
        #expect(script.contains("adopt"))

        let issues = try fixture.ppds(["---completion", "ship", "--", "positional@0", "2", "0", "ppds", "ship", ""]).check()
        #expect(issues.stdout.split(separator: "\n") == ["3", "12"], "\(issues.stdout)")
        let hashed = try fixture.ppds(["---completion", "show", "--", "positional@0", "2", "2", "ppds", "show", "#1"]).check()
        #expect(hashed.stdout.split(separator: "\n") == ["#12"], "\(hashed.stdout)")
        let refs = try fixture.ppds(["---completion", "prune", "--", "--base", "3", "0", "ppds", "prune", "--base", ""]).check()
        let names = refs.stdout.split(separator: "\n").map(String.init)
        #expect(names.contains("main") && names.contains("origin/main") && names.contains("feat/twelve"), "\(names)")
        // Outside any repository: nothing, quietly.
        let outside = try fixture.ppds(["---completion", "ship", "--", "positional@0", "2", "0", "ppds", "ship", ""], in: fixture.folder.path)
        #expect(outside.status == 0 && outside.stdout.isEmpty && outside.stderr.isEmpty)
    }
}
