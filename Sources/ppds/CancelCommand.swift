import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct CancelCommand: JSONCommand, NamedSessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a session; --remove also removes its worktree and branch under prune's safety rules.")

    @OptionGroup var target: SessionTarget
    @Flag(help: "Also remove the worktree and branch (kept when dirty, locked or unmerged).") var remove = false
    @Flag(help: "With --remove: remove the worktree even with uncommitted or untracked changes.") var force = false
    @Flag(name: .customLong("force-delete"), help: "With --remove: delete the branch even with unmerged commits.") var forceDelete = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if (force || forceDelete) && !remove { throw ValidationError("--force and --force-delete go with --remove") }
    }

    func execute() throws {
        // The same session choice as every verb: this repository's, or exactly one elsewhere.
        let (store, scoped, issue) = try CLI.target(issue, repo: repo)
        let report = try Cancel.run(CancelRequest(issue: issue, remove: remove, force: force, forceDelete: forceDelete),
                                    store: store, workspace: scoped)
        for warning in report.claimWarnings { CLI.printError("warning: " + warning) }
        if let removal = report.removal {
            if !json { print(TerminalText.escaped("\(issue.tag) cancelled; removing its worktree:")) }
            PruneCommand.output(removal, json: json)
        } else {
            CLI.report(report.session, json: json, line: "\(issue.tag) cancelled")
        }
        if let failure = report.failure { throw ExitCode(PPDSError(failure, "").exitCode) }
    }
}
