import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import Forge

struct StatusCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The orchestrator view: every session with its git state, grouped, and the problems.")

    @OptionGroup var repo: RepoOption
    @OptionGroup var output: OutputOptions
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

    func execute() throws {
        if allRepos { return try runForEveryRepository() }
        let (workspace, config) = try repo.configured()
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

    /// One report per repository that has sessions here (found by the sessions' `repo` key).
    func runForEveryRepository() throws {
        let overview = try StatusAcrossRepositories.build(CLI.store) { config in
            var options = CLI.statusOptions(staleAfter: staleAfter, config: config)
            options.includeGone = all
            options.includeDirty = dirty
            return options
        }
        if json {
            CLI.printJSON(overview.json)
        } else {
            print(overview.render { table ? StatusTable().render($0) : StatusText(color: CLI.useColor).render($0) })
        }
    }
}
