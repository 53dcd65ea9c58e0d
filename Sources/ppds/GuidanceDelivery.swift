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
        try GuidanceHandOff.deliverUnread(session, store: store, json: json)
    }

    static func text(_ messages: [Guidance], for issue: IssueNumber, origins: [String: GuidanceOrigin] = [:]) -> String {
        GuidanceHandOff.text(messages, for: issue, origins: origins)
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
        try GuidanceHandOff.acknowledge(messages, of: issue, in: store)
    }

    static func confirmPrinted() throws(PPDSError) {
        try GuidanceHandOff.confirmPrinted()
    }
}
