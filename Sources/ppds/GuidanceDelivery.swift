import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Replication
import Agents

/// How the worker-facing commands (`wait`, `update`, `show` in the worktree) hand guidance to
/// a worker: printed first, then marked read, so a worker killed in between sees it again.
enum GuidanceDelivery {
    /// Exit code of a wait that timed out (the contract's 0–2 and 64 are taken).
    static let timedOutExitCode: Int32 = 3

    /// Waits, prints what came, acknowledges it, and exits as the outcome says: 0 for guidance
    /// or a resume, 2 for a finished session, 3 for a timeout.
    static func waitAndDeliver(_ issue: IssueNumber, store: SessionStore, workspace: Workspace?,
                               timeout: TimeInterval?, json: Bool) throws {
        let result = try WorkerInbox.wait(for: issue, in: store, workspace: workspace, timeout: timeout)
        if json {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["outcome"] = .string(result.outcome.rawValue)
            out["issue"] = .string(issue.tag)
            out["status"] = .string(result.session.status.fileValue)
            let senders = origins(of: result.session, home: store.home)
            out["guidance"] = .array(result.guidance.map { messageJSON($0, origin: senders[$0.id]) })
            CLI.printJSON(out)
        } else {
            switch result.outcome {
            case .guidance: print(text(result.guidance, for: issue, origins: origins(of: result.session, home: store.home)))
            case .resumed: print(TerminalText.escaped("\(issue.tag) was resumed; the session is \(result.session.status.fileValue) again"))
            case .finished, .timedOut: break
            }
        }
        try confirmPrinted()
        try acknowledge(result.guidance, of: issue, in: store)
        switch result.outcome {
        case .guidance, .resumed:
            return
        case .finished:
            // The outcome document above is the JSON answer; the reason goes to stderr.
            let failure = PPDSError.conflict("\(issue.tag) is \(result.session.status.fileValue); there is nothing more to wait for")
            CLI.printError(failure.message)
            throw ExitCode(failure.exitCode)
        case .timedOut:
            CLI.printError("\(issue.tag): no guidance within \(HumanDuration.describe(timeout ?? 0)); run 'ppds wait' again to keep waiting")
            throw ExitCode(timedOutExitCode)
        }
    }

    /// Prints the session's unread guidance after another command's output, and marks it read.
    static func deliverUnread(_ session: Session, store: SessionStore, json: Bool) throws {
        let relayable = session.relayableGuidance(home: store.home)
        let unread = relayable.map(\.guidance)
        guard !unread.isEmpty else { return }
        if !json { print(text(unread, for: session.issue, origins: Dictionary(relayable.map { ($0.guidance.id, $0.origin) }, uniquingKeysWith: { a, _ in a }))) }
        try confirmPrinted()
        try acknowledge(unread, of: session.issue, in: store)
    }

    /// The messages for a terminal: each escaped on its own line (they are anyone's words).
    static func text(_ messages: [Guidance], for issue: IssueNumber, origins: [String: GuidanceOrigin] = [:]) -> String {
        let count = messages.count == 1 ? "1 message" : "\(messages.count) messages"
        return (["\(issue.tag): guidance from the orchestrator (\(count)):"]
            + messages.map { message in
                let from = origins[message.id].flatMap { $0.verdict == .own ? nil : " (\($0.described))" } ?? ""
                return "  [\(Timestamp.format(message.at))] \(TerminalText.escaped(message.message))\(TerminalText.escaped(from))"
            }).joined(separator: "\n")
    }

    /// Who sent each message: nil for guidance written on this machine.
    static func origins(of session: Session, home: String) -> [String: GuidanceOrigin] {
        Dictionary(session.guidanceWithOrigin(home: home).map { ($0.guidance.id, $0.origin) }, uniquingKeysWith: { a, _ in a })
    }

    static func messageJSON(_ message: Guidance, origin: GuidanceOrigin? = nil) -> JSONValue {
        .object(["id": .string(message.id), "message": .string(message.message), "at": .string(Timestamp.format(message.at)),
                 "from": (origin ?? .local).json])
    }

    private static func acknowledge(_ messages: [Guidance], of issue: IssueNumber, in store: SessionStore) throws {
        guard !messages.isEmpty else { return }
        try WorkerInbox.acknowledge(messages.map(\.id), of: issue, in: store)
    }

    /// Flushes the output and fails when what was printed did not get out (a full disk, a
    /// closed stdout): a message is marked read only once it really reached the worker.
    static func confirmPrinted() throws(PPDSError) {
        errno = 0
        guard fflush(nil) != 0 || !standardOutputWasWritten() else { return }
        let reason = errno == 0 ? "write error" : String(cString: strerror(errno))
        throw PPDSError.io("could not print the guidance (\(reason)); it stays unread")
    }
}
