import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View
import Agents

struct ApproveCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a session's plan: relayed to the worker as guidance; the session goes to working.",
        discussion: "Refused unless the session is at planning_complete with a plan; with --version, also when a newer plan replaced that one.")

    @Argument(help: "The issue.") var issue: IssueNumber
    @Argument(help: "Words to go with the approval.") var message: String?
    @OptionGroup var repo: RepoOption
    @Option(help: "The plan version you read (as 'ppds plan' shows it): refused if the worker has attached a newer one.") var version: Int?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        try PlanAnswerCommand.answer(.approved, message: message, version: version, issue: issue, repo: repo, json: json)
    }
}

/// What approve and revise share: one Lifecycle call, and the report.
enum PlanAnswerCommand {
    static func answer(_ verdict: PlanAnswer.Verdict, message: String?, version: Int?, issue: IssueNumber,
                       repo: RepoOption, json: Bool) throws {
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
