import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Clean up finished work: merged worktrees, branches and sessions. Never loses work.")

    @Argument(help: "Restrict to these issues.") var issues: [IssueNumber] = []
    @OptionGroup var repo: RepoOption
    @Flag(name: .customLong("dry-run"), help: "Change nothing; report what would be removed.") var dryRun = false
    @Flag(help: "Remove worktrees even with uncommitted or untracked changes (never locked ones).") var force = false
    @Flag(name: .customLong("force-delete"), help: "Delete branches even when their commits are not merged.") var forceDelete = false
    @Option(name: .customLong("min-age"), help: "Keep branches without commits of their own younger than this (e.g. 30m, 2h; default 1h).")
    var minAge: String?
    @Flag(help: "Also prune linked worktrees that no session owns.") var all = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let minAge, HumanDuration.parse(minAge) == nil {
            throw ValidationError("--min-age '\(minAge)' is not a duration (minutes, or 30m, 2h, 1d)")
        }
    }

    func run() throws {
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            let request = PruneRequest(issues: issues, dryRun: dryRun, force: force, forceDelete: forceDelete,
                                       minAge: minAge.flatMap { HumanDuration.parse($0) } ?? PruneRequest.defaultMinAge, all: all)
            let report = try Prune(workspace: workspace, config: config).run(request)
            Self.output(report, json: json)
            if report.anyFailed { throw ExitCode(1) }
        }
    }

    static func output(_ report: PruneReport, json: Bool) {
        if json {
            CLI.printJSON(report.json)
            return
        }
        if report.results.isEmpty { print("Nothing to prune.") }
        for result in report.results {
            let who = TerminalText.escaped(result.issue?.tag ?? (result.worktree ?? "?"))
            print("\(symbol(result.outcome)) \(who) \(result.outcome.rawValue): \(TerminalText.escaped(result.branch ?? "-")) — \(TerminalText.escaped(result.reason))")
            if !result.ignored.isEmpty, result.outcome == .wouldRemove || result.outcome == .removed {
                print("    ignored content \(result.outcome == .removed ? "removed" : "that would go") with it: \(TerminalText.escaped(result.ignored.joined(separator: ", ")))")
            }
        }
        for entry in report.staleEntries {
            print("\(report.dryRun ? "would prune" : "pruned") stale worktree entry \(TerminalText.escaped(entry))")
        }
        for warning in report.warnings { CLI.printError(warning) }
    }

    static func symbol(_ outcome: PruneOutcome) -> String {
        switch outcome {
        case .removed: "🗑 "
        case .wouldRemove: "→"
        case .failed: "✘"
        default: "·"
        }
    }
}
