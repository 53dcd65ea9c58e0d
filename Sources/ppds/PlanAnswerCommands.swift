import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View
import Agents
import Forge
import LifecycleCore
import Replication

/// What approve and revise both take: the session, and the plan version the reviewer read.
struct PlanAnswerTarget: ParsableArguments {
    @Argument(help: "The issue.") var issue: IssueNumber
    @OptionGroup var repo: RepoOption
    @Option(help: "The plan version you read (as 'ppds plan' shows it): refused if the worker has attached a newer one.") var version: Int?

    /// One Lifecycle call, and the report.
    func answer(_ verdict: PlanAnswer.Verdict, message: String?, json: Bool) throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
        let done = try PlanReview.answer(verdict, message: message, version: version, issue: issue, in: store, workspace: workspace,
                                         by: PlanReview.reviewer(home: store.home))
        if json {
            CLI.printJSON(done.json)
        } else {
            let what = verdict == .approved ? "approved" : "sent back"
            print(TerminalText.escaped("\(issue.tag) plan v\(done.version.version) \(what); relayed to the worker, the session is \(done.session.status.fileValue)"))
        }
    }
}

struct ApproveCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a session's plan: relayed to the worker as guidance; the session goes to working.",
        discussion: "Refused unless the session is at planning_complete with a plan; with --version, also when a newer plan replaced that one.")

    @OptionGroup var target: PlanAnswerTarget
    @Argument(help: "Words to go with the approval.") var message: String?
    @OptionGroup var output: OutputOptions

    func execute() throws { try target.answer(.approved, message: message, json: json) }
}

struct ReviseCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "revise",
        abstract: "Send a session's plan back with the changes you want: relayed as guidance; the session goes back to planning.",
        discussion: "The worker attaches the revised plan as the next version ('ppds plan --history' shows them all).")

    @OptionGroup var target: PlanAnswerTarget
    @Argument(help: "What to change.") var message: String
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("say what to change: the message is empty") }
    }

    func execute() throws { try target.answer(.revise, message: message, json: json) }
}
