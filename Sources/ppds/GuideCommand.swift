import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct GuideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guide",
        abstract: "Relay the orchestrator's guidance to a session (shown by 'ppds show').")

    @Argument(help: "The issue.") var issue: IssueNumber
    @Argument(help: "The guidance.") var message: String
    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("the guidance message is empty")
        }
    }

    func run() throws {
        try CLI.run {
            let session = try CLI.apply(.guide(message: message), to: issue, repo: repo)
            CLI.report(session, json: json, line: "\(session.issue.tag) guided (\(session.guidance.count) message\(session.guidance.count == 1 ? "" : "s") so far); the session is \(session.status.fileValue)")
        }
    }
}
