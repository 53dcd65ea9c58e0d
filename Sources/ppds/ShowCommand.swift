import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One session with its git state and guidance.")

    @Argument(help: "The issue (456, #456 or work-456). Default: the session whose worktree you are in.")
    var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let (store, scoped, issue) = try CLI.target(issue, repo: repo)
            // Another machine's session (synced into the mirror folder): its file, without git facts.
            if let scoped, let copy = SessionChanges.mirrorCopy(issue, store: store, workspace: scoped) {
                let view = SessionView(session: copy, git: SessionGitState(), home: store.home)
                if json {
                    CLI.printJSON(.document("session", view.json))
                } else {
                    let owner = copy.machine.map { "\(TerminalText.escaped($0.label)) (\(TerminalText.escaped($0.id)))" } ?? "another machine"
                    print(ShowText.render(view, gitFacts: false) + "\nRuns on \(owner), as of the last 'ppds sync'; guide, pause and resume reach it on the next sync.")
                }
                return
            }
            let session = try store.load(issue)
            let workspace = try scoped ?? Workspace.locate(repo: session.repo)
            let git = try GitFactReader(repository: try workspace.openRepository()).state(of: session, includeDirty: true)
            var view = SessionView(session: session, git: git, home: store.home)
            if session.pr != nil { view.pullRequest = PullRequestRefresh.cached(session, in: ForgeCache(workspace).loadPullRequests()) }
            let inWorktree = session.worktreeHolds(FileManager.default.currentDirectoryPath)
            if inWorktree {
                // Read in its worktree, show is the worker's: what this machine does not relay is
                // named, not shown (its words are an untrusted machine's instructions).
                view = view.withholding()
            }
            if json {
                CLI.printJSON(.document("session", view.json))
            } else {
                print(ShowText.render(view))
            }
            // Read from inside its worktree, the guidance has reached the worker.
            if inWorktree {
                let unread = session.relayableGuidance(home: store.home).map(\.guidance.id)
                if !unread.isEmpty {
                    try GuidanceDelivery.confirmPrinted()
                    try WorkerInbox.acknowledge(unread, of: issue, in: store)
                }
            }
        }
    }
}
