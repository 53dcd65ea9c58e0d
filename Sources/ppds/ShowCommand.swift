import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import Agents
import LifecycleCore
import Replication

struct ShowCommand: JSONCommand, SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One session with its git state and guidance.")

    @OptionGroup var target: CurrentSessionTarget
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (store, scoped, issue) = try CLI.target(issue, repo: repo)
            let shown = try SessionShow.read(issue, store: store, workspace: scoped)
            guard case .here(var view) = shown else {
            if json {
                    CLI.printJSON(shown.json)
                } else if case .elsewhere(let copy, let machine) = shown {
                    let owner = machine.map { "\(TerminalText.escaped($0.label)) (\(TerminalText.escaped($0.id)))" } ?? "another machine"
                    print(ShowText.render(copy, gitFacts: false) + "\nRuns on \(owner), as of the last 'ppds sync'; guide, pause and resume reach it on the next sync.")
            }
            return
        }
            let session = view.session
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
