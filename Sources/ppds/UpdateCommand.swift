import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "A worker reports progress: a new status, why it is stuck, or its PR.")

    @Argument(help: "The issue. Default: the session whose worktree you are in.")
    var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
    @Option(help: "registered, planning, planning_complete, working, stuck or complete.")
    var status: SessionStatus
    @Option(help: "Why the session is stuck (required with --status stuck).") var reason: String?
    @Option(help: "What the human needs to know to decide.") var context: String?
    @Option(name: .customLong("option"), help: "A choice for the human (repeatable).") var options: [String] = []
    @Option(help: "The pull request URL.") var pr: String?
    @Flag(help: "Update even though a human paused the session.") var force = false
    @Flag(help: "Print JSON.") var json = false

    func change() throws(PPDSError) -> SessionChange {
        try SessionChanges.update(status: status.fileValue, reason: reason, context: context, options: options, pr: pr, force: force)
    }

    func validate() throws {
        do { _ = try change() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try CLI.run {
            let session = try CLI.apply(try change(), to: issue, repo: repo)
            CLI.report(session, json: json, line: "\(session.issue.tag) is now \(session.status.fileValue)")
        }
    }
}
