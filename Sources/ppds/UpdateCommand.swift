import Foundation
import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents

struct UpdateCommand: JSONCommand, SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "A worker reports progress: a new status, why it is stuck, or its PR.")

    @OptionGroup var target: CurrentSessionTarget
    @Option(help: "registered, planning, planning_complete, working, stuck or complete.")
    var status: SessionStatus
    @Option(help: "Why the session is stuck (required with --status stuck).") var reason: String?
    @Option(help: "What the human needs to know to decide.") var context: String?
    @Option(name: .customLong("option"), help: "A choice for the human (repeatable).") var options: [String] = []
    @Option(help: "The pull request URL.") var pr: String?
    @Option(help: ArgumentHelp("With --status planning_complete: the plan for review, from a file ('-' reads stdin).", valueName: "file"))
    var plan: String?
    @Flag(help: "Update even though a human paused the session.") var force = false
    @Flag(help: "Then wait for guidance (as 'ppds wait'), print it and exit 0; exit 3 on --timeout.") var wait = false
    @Option(help: "With --wait: give up after this long (90s, 10m, 1h; a bare number is minutes, as everywhere in ppds).") var timeout: DurationArgument?
    @OptionGroup var output: OutputOptions

    func change() throws(PPDSError) -> SessionChange {
        try SessionChanges.update(status: status.fileValue, reason: reason, context: context, options: options, pr: pr, force: force)
    }

    func validate() throws {
        do { _ = try change() } catch { throw ValidationError(error.message) }
        if timeout != nil && !wait { throw ValidationError("--timeout goes with --wait") }
        if plan != nil && (status != .planningComplete || pr != nil) { throw ValidationError("--plan goes with --status planning_complete (and no --pr)") }
    }

    func execute() throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
            let session: Session
            if let plan {
                session = try PlanReview.submit(try PlanInput.read(plan), to: issue, in: store, workspace: workspace, force: force)
            } else {
                session = try SessionChanges.apply(try change(), to: issue, in: store, workspace: workspace)
            }
        if wait {
            // The waiting is the answer: with --json, only the wait's document is printed.
            if !json { print(TerminalText.escaped("\(session.issue.tag) is now \(session.status.fileValue); waiting for guidance")) }
            try GuidanceDelivery.waitAndDeliver(issue, store: store, workspace: workspace, timeout: timeout?.seconds, json: json)
            return
        }
        // The worker's answer: guidance from a machine this one does not trust is named, not
        // shown (its words stay in the file, for people: status, show).
        let forWorker = SessionView(session: session, git: SessionGitState(), home: store.home).withholding().session
            let attached = plan != nil ? session.latestPlan.map { " with plan v\($0.version) (waiting for review)" } ?? "" : ""
            CLI.report(forWorker, json: json, line: "\(session.issue.tag) is now \(session.status.fileValue)\(attached)")
        try GuidanceDelivery.deliverUnread(session, store: store, json: json)
    }
}
