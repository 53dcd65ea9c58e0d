import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The orchestrator view: every session with its git state, grouped, and the problems.")

    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Include finished sessions whose worktree and branch are gone.") var all = false
    @Option(name: .customLong("stale-after"), help: "Minutes without an update before a session counts as stale.")
    var staleAfter: DurationArgument?
    @Flag(help: "Also compute whether each worktree has uncommitted changes (stats every file).") var dirty = false
    @Flag(help: "One line per session: issue, status, branch, ahead/behind, dirty, last update, path.") var table = false
    @Flag(name: .customLong("all-repos"), help: "Every repository's sessions under this PPDS_HOME, grouped by repository.")
    var allRepos = false
    @Flag(help: "Ask the forge (gh pr view) for each shipped session's PR and CI state first; otherwise the last answer is shown, with its age.")
    var prs = false
    @Flag(help: "Also show other machines' sessions (as of the last 'ppds sync'), with each machine's label.")
    var everywhere = false

    func run() throws {
        if allRepos { return try runForEveryRepository() }
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            var options = CLI.statusOptions(staleAfter: staleAfter, config: config)
            options.includeGone = all
            options.includeDirty = dirty
            if prs { PRRefreshReport.say(PullRequestRefresh.run(workspace)) }
            let report = try StatusReport.build(workspace, options: options)
            let elsewhere = everywhere ? EverywhereText.sessions(workspace) : []
            if json {
                var document = report.json
                if everywhere { document["elsewhere"] = EverywhereText.json(elsewhere) }
                CLI.printJSON(document)
            } else if table {
                print(StatusTable().render(report))
            } else {
                print(StatusText(color: CLI.useColor).render(report))
            }
            if everywhere && !json { print(EverywhereText().render(elsewhere)) }
        }
    }

    /// One report per repository that has sessions here (found by the sessions' `repo` key).
    func runForEveryRepository() throws {
        try CLI.run {
            let listing = CLI.store.list()
            var roots: [String] = []
            for session in listing.sessions {
                guard let repo = session.repo, !roots.contains(where: { samePlace($0, repo) }) else { continue }
                roots.append(repo)
            }
            var documents: [JSONValue] = []
            var texts: [String] = []
            for root in roots.sorted() {
                guard let workspace = try? Workspace.locate(repo: root) else {
                    texts.append("▸ \(TerminalText.escaped(root)) (not reachable here)")
                    documents.append(.object(["repo": .string(root), "reachable": .bool(false)]))
                    continue
                }
                let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
                var options = CLI.statusOptions(staleAfter: staleAfter, config: config)
                options.includeGone = all
                options.includeDirty = dirty
                let report = try StatusReport.build(workspace, options: options)
                var document = report.json
                document["repo"] = .string(workspace.repoRoot)
                document["version"] = nil
                documents.append(document.objectValue)
                let body = table ? StatusTable().render(report) : StatusText(color: CLI.useColor).render(report)
                texts.append("▸ \(TerminalText.escaped(workspace.repoRoot))\n" + body.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
            }
            if json {
                CLI.printJSON(.document("repositories", .array(documents)))
            } else {
                print(texts.isEmpty ? "No sessions." : texts.joined(separator: "\n\n"))
            }
        }
    }
}
