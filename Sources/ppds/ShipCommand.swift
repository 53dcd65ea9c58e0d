import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ShipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Mark the work complete with its pull request URL.")

    @Argument(help: "The issue. Default: the session whose worktree you are in.") var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
    @Option(help: "The pull request URL.") var pr: String
    @Flag(help: "Ship even though a human paused the session.") var force = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        do { try SessionChanges.validatePRURL(pr) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try CLI.run {
            let session = try CLI.apply(.ship(pr: pr, force: force), to: issue, repo: repo)
            CLI.report(session, json: json, line: "\(session.issue.tag) shipped: \(session.status.fileValue)" + (session.pr.map { ", PR \($0)" } ?? ""))
        }
    }
}
