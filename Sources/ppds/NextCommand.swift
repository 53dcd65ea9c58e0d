import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents

struct NextCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Walk the stuck sessions and the plans waiting for review, oldest first: relay your answer.",
        discussion: """
            Reads one line per session: for a question, an option's number or your own words; for \
            a plan, 'a' approves it and other words send it back with them as the changes wanted. An \
            empty line skips the session, end of input (Ctrl-D) stops. Sessions already answered but \
            not yet read are left out unless --all.
            """)

    @OptionGroup var repo: RepoOption
    @Flag(help: "Also ask about sessions whose answer the worker has not read yet.") var all = false

    func execute() throws {
        let (store, workspace) = try CLI.scope(repo)
        let listing = store.list()
        for error in listing.errors { CLI.printError("skipped \(error.file): \(error.reason)") }
        // Other machines' sessions (synced copies) are answered from here as well.
        let waiting = workspace.map { AnswerQueue.waiting(in: $0, includeAnswered: all) }
            ?? AnswerQueue.waiting(listing.sessions, includeAnswered: all, home: store.home)
        guard !waiting.isEmpty else {
            print("No session is waiting for an answer.")
            return
        }
        var guided = 0, skipped = 0
        walk: for (position, queued) in waiting.enumerated() {
            // Read again: while the human answered the last one, this one may have moved on,
            // or been answered from elsewhere (the dashboard, another 'guide').
            guard let session = try? SessionChanges.reachable(queued.issue, in: store, workspace: workspace) else { continue }
            if session.planWaitsForReview {
                CLI.printError("[\(position + 1) of \(waiting.count)]", prefixed: false)
                switch try NextPlanReview.review(session, store: store, workspace: workspace) {
                case .endOfInput: break walk
                case .skip: skipped += 1
                case .answer: guided += 1
                }
                continue
            }
            guard session.status == .stuck, all || !AnswerQueue.answered(session, home: store.home) else { continue }
            CLI.printError("[\(position + 1) of \(waiting.count)]", prefixed: false)
            for held in SessionView(session: session, git: SessionGitState(), home: store.home).held {
                CLI.printError("  not relayed, \(TerminalText.escaped(held.origin.described)): \(TerminalText.escaped(held.guidance.message))", prefixed: false)
            }
            switch GuideCommand.ask(session) {
            case .endOfInput:
                break walk
            case .skip:
                skipped += 1
            case .answer(let text):
                let guidedSession = try SessionChanges.apply(.guide(message: text), to: session.issue, in: store, workspace: workspace)
                print(TerminalText.escaped(GuideCommand.sent(guidedSession)))
                guided += 1
            }
        }
        print("Guided \(guided), skipped \(skipped), of \(waiting.count) waiting.")
    }
}
