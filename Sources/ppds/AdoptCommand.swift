import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct AdoptCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Make a linked worktree made with `git worktree add` the session of an issue.",
        discussion: """
            The session gets the worktree's checked-out branch, its folder, the default base and the \
            merge base of the two as its base commit. Nothing in git changes.
            """)

    @Argument(help: "The linked worktree's folder.", completion: .directory) var path: String
    @Argument(help: "The issue (456, #456 or work-456).") var issue: IssueNumber
    @OptionGroup var repo: RepoOption
    @Option(help: "The issue's title.") var title: String?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, config) = try repo.configured()
        let session = try Adopt.run(path: path, issue: issue, workspace: workspace, config: config, title: title)
        CLI.report(session, json: json, line: "\(session.issue.tag) adopted: \(session.branch) → \(session.worktree) (base \(session.base ?? "?"))")
    }
}
