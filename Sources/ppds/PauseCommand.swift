import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a session; its worker's updates are refused until 'ppds resume'.")

    @Argument(help: "The issue.") var issue: IssueNumber
    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let session = try CLI.apply(.pause, to: issue, repo: repo)
            CLI.report(session, json: json, line: "\(session.issue.tag) paused" + (session.pausedFrom.map { " (was \($0.fileValue)); 'ppds resume \(session.issue.value)' returns to it" } ?? ""))
        }
    }
}
