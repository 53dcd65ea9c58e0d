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
    @Option(help: "registered, planning, planning_complete, working, stuck or complete.")
    var status: String
    @Option(help: "Why the session is stuck (required with --status stuck).") var reason: String?
    @Option(help: "What the human needs to know to decide.") var context: String?
    @Option(name: .customLong("option"), help: "A choice for the human (repeatable).") var options: [String] = []
    @Option(help: "The pull request URL.") var pr: String?
    @Flag(help: "Update even though a human paused the session.") var force = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard let parsed = SessionStatus(userValue: status) else {
            throw ValidationError("unknown status '\(status)'; use one of: \(SessionStatus.canonical.map(\.fileValue).joined(separator: ", "))")
        }
        if parsed == .stuck, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--status stuck needs --reason")
        }
        if parsed != .stuck, reason != nil || context != nil || !options.isEmpty {
            throw ValidationError("--reason, --context and --option go with --status stuck")
        }
        if let pr { do { try SessionChanges.validatePRURL(pr) } catch { throw ValidationError(error.message) } }
    }

    func run() throws {
        try CLI.run {
            let store = CLI.store
            let issue = try CLI.issue(issue, store: store)
            let target = SessionStatus(userValue: status)!
            let stuck = target == .stuck ? StuckRequest(reason: reason ?? "", context: context, options: options) : nil
            let session = try SessionChanges.apply(.update(status: target, stuck: stuck, pr: pr, force: force), to: issue, in: store)
            CLI.report(session, json: json, verb: "updated")
        }
    }
}
