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
        let current = try store.load(issue)
        let session = current.status == .cancelled ? current : try SessionChanges.apply(.cancel, to: issue, in: store, workspace: scoped)
        // A cancelled issue is free for any machine again.
        if let workspace = try? Workspace.locate(repo: repo.repo ?? session.repo),
           let config = try? workspace.config() {
            for warning in RegistryClaims.release([issue], workspace: workspace, config: config) { CLI.printError("warning: " + warning) }
        }
        guard remove else {
            CLI.report(session, json: json, line: "\(session.issue.tag) cancelled")
            return
        }
        if !json { print(TerminalText.escaped("\(session.issue.tag) cancelled; removing its worktree:")) }
        let workspace = try Workspace.locate(repo: repo.repo ?? session.repo)
        let config = try workspace.config()
        let report = try Prune(workspace: workspace, config: config)
            .run(PruneRequest(issues: [issue], force: force, forceDelete: forceDelete, minAge: 0))
        PruneCommand.output(report, json: json)
        if report.anyFailed { throw ExitCode(.failed) }
    }
}
