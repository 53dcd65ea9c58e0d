import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View

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
        var sessions = listing.sessions.filter { workspace?.owns($0) ?? true }
        // Other machines' sessions (synced copies) are answered from here as well.
        if let workspace {
            let local = Set(sessions.map(\.issue))
            sessions += workspace.mirrorStore.list().sessions.filter { !local.contains($0.issue) }
        }
        let waiting = NextCommand.queue(sessions, includeAnswered: all, home: store.home)
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
                guard session.status == .stuck, all || !NextCommand.answered(session, home: store.home) else { continue }
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

    /// Stuck sessions and plans waiting for review, the longest waiting first; answered-but-unread
    /// questions only with `includeAnswered`.
    static func queue(_ sessions: [Session], includeAnswered: Bool, home: String? = nil) -> [Session] {
        func since(_ session: Session) -> Date { session.stuck?.since ?? session.latestPlan?.at ?? .distantPast }
        return sessions
            .filter { ($0.status == .stuck && (includeAnswered || !answered($0, home: home))) || $0.planWaitsForReview }
            .sorted { (since($0), $0.issue.value) < (since($1), $1.issue.value) }
    }

    /// Answered and not yet read by the worker. An unread answer from a machine this one does
    /// not trust is no answer: it never reaches the worker.
    static func answered(_ session: Session, home: String?) -> Bool {
        guard session.stuckAnswer?.state == .unread else { return false }
        guard let home else { return true }
        let held = Set(SessionView(session: session, git: SessionGitState(), home: home).held.map(\.guidance.id))
        guard !held.isEmpty else { return true }
        return session.guidance.contains { !held.contains($0.id) && $0.delivered == nil }
    }
}
