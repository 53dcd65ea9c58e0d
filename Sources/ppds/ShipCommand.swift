import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore

struct ShipCommand: JSONCommand, SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Mark the work complete with its pull request URL.",
        discussion: """
            Refuses (exit 2) while the session's worktree has uncommitted or untracked changes, or its \
            branch has commits not on its upstream (or no upstream); --force ships anyway. --push pushes \
            the branch first; --create-pr runs `gh pr create --fill --head <branch>` and records its URL.
            """)

    @OptionGroup var target: CurrentSessionTarget
    @Option(help: "The pull request URL.") var pr: String?
    @Flag(help: "Push the branch to its remote (or origin) first, setting its upstream when it has none.") var push = false
    @Flag(help: "Create the pull request with `gh pr create --fill` and record its URL.") var createPr = false
    @Flag(help: "Ship even though a human paused the session, the worktree is dirty or the branch is not pushed.") var force = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        switch (pr, createPr) {
        case (nil, false): throw ValidationError("ship needs --pr URL or --create-pr")
        case (.some, true): throw ValidationError("--pr and --create-pr exclude each other")
        case (.some(let pr), false):
            do { try SessionChanges.validatePRURL(pr) } catch { throw ValidationError(error.message) }
        case (nil, true): break
        }
    }

    func execute() throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
        let result = try Ship.run(issue, store: store, workspace: workspace, pr: pr, push: push, createPR: createPr, force: force)
        if !json {
            if let pushed = result.pushed {
                print(TerminalText.escaped("pushed \(pushed.branch) to \(pushed.remote)" + (pushed.setUpstream ? " (upstream set)" : "")))
            }
            for finding in result.overridden { CLI.printError("warning (--force): " + finding.message) }
        }
        let session = result.session
        CLI.report(session, json: json, line: "\(session.issue.tag) shipped: \(session.status.fileValue)" + (session.pr.map { ", PR \($0)" } ?? ""))
    }
}
