import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused session in the status it was paused from.")

    @Argument(help: "The issue.") var issue: IssueNumber
    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let session = try CLI.apply(.resume, to: issue, repo: repo)
            CLI.report(session, json: json, line: "\(session.issue.tag) resumed: \(session.status.fileValue)")
        }
    }
}
