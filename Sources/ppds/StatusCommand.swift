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

    func run() throws {
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            var options = CLI.statusOptions(staleAfter: staleAfter, config: config)
            options.includeGone = all
            options.includeDirty = dirty
            let report = try StatusReport.build(workspace, options: options)
            if json {
                CLI.printJSON(report.json)
            } else if table {
                print(StatusTable().render(report))
            } else {
                print(StatusText(color: CLI.useColor).render(report))
            }
        }
    }
}
