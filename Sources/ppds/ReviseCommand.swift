import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support

struct ReviseCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "revise",
        abstract: "Send a session's plan back with the changes you want: relayed as guidance; the session goes back to planning.",
        discussion: "The worker attaches the revised plan as the next version ('ppds plan --history' shows them all).")

    @Argument(help: "The issue.") var issue: IssueNumber
    @Argument(help: "What to change.") var message: String
    @OptionGroup var repo: RepoOption
    @Option(help: "The plan version you read (as 'ppds plan' shows it): refused if the worker has attached a newer one.") var version: Int?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("say what to change: the message is empty") }
    }

    func execute() throws {
        try PlanAnswerCommand.answer(.revise, message: message, version: version, issue: issue, repo: repo, json: json)
    }
}
