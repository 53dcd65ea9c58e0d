import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct PruneCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Clean up finished work: merged worktrees, branches and sessions. Never loses work.")

    @Argument(help: "Restrict to these issues.") var issues: [IssueNumber] = []
    @OptionGroup var repo: RepoOption
    @Flag(name: .customLong("dry-run"), help: "Change nothing; report what would be removed.") var dryRun = false
    @Flag(help: "Remove worktrees even with uncommitted or untracked changes (never locked ones).") var force = false
    @Flag(name: .customLong("force-delete"), help: "Delete branches even when their commits are not merged.") var forceDelete = false
    @Option(name: .customLong("min-age"), help: "Keep branches without commits of their own younger than this (e.g. 30m, 2h; default 1h).")
    var minAge: DurationArgument?
    @Flag(help: "Also prune linked worktrees that no session owns.") var all = false
    @Option(help: "Check against this base only (default: each session's recorded base, the local default branch and its upstream).",
            completion: Completions.refKind)
    var base: String?
    @Flag(help: "Fetch the bases' remotes first (libgit2), so work merged on the forge counts as merged.") var fetch = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, config) = try repo.configured()
        var request = PruneRequest(issues: issues, dryRun: dryRun, force: force, forceDelete: forceDelete,
                                   minAge: minAge?.seconds ?? PruneRequest.defaultMinAge, all: all, base: base)
        request.fetch = fetch
            let report = try Prune(workspace: workspace, config: config).run(request)
        Self.output(report, json: json)
        if report.anyFailed { throw ExitCode(.failed) }
    }

    static func output(_ report: PruneReport, json: Bool) {
        if json {
            CLI.printJSON(PruneText.json(report))
            return
        }
        print(PruneText.render(report))
        for warning in report.warnings { CLI.printError(PruneText.describe(warning)) }
        for hint in report.hints { CLI.printError("hint: " + hint.message) }
    }
}
