#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SessionKit
import Support
import Replication

/// How a worker-facing command hands guidance to the worker on a terminal: printed first, then
/// marked read, so a worker killed in between sees it again. Shared by the full program
/// (`update`, `wait`, `show`) and the front (`update`).
public enum GuidanceHandOff {
    /// Prints the session's unread guidance after another command's output, and marks it read.
    public static func deliverUnread(_ session: Session, store: SessionStore, json: Bool) throws {
        let relayable = session.relayableGuidance(home: store.home)
        let unread = relayable.map(\.guidance)
        guard !unread.isEmpty else { return }
        if !json { print(text(unread, for: session.issue, origins: Dictionary(relayable.map { ($0.guidance.id, $0.origin) }, uniquingKeysWith: { a, _ in a }))) }
        try confirmPrinted()
        try acknowledge(unread, of: session.issue, in: store)
    }

    /// The messages for a terminal: each escaped on its own line (they are anyone's words).
    public static func text(_ messages: [Guidance], for issue: IssueNumber, origins: [String: GuidanceOrigin] = [:]) -> String {
        let count = messages.count == 1 ? "1 message" : "\(messages.count) messages"
        return (["\(issue.tag): guidance from the orchestrator (\(count)):"]
            + messages.map { message in
                let from = origins[message.id].flatMap { $0.verdict == .own ? nil : " (\($0.described))" } ?? ""
                return "  [\(Timestamp.format(message.at))] \(TerminalText.escaped(message.message))\(TerminalText.escaped(from))"
            }).joined(separator: "\n")
    }

    public static func acknowledge(_ messages: [Guidance], of issue: IssueNumber, in store: SessionStore) throws {
        guard !messages.isEmpty else { return }
        try WorkerInbox.acknowledge(messages.map(\.id), of: issue, in: store)
    }

    /// Flushes the output and fails when what was printed did not get out (a full disk, a
    /// closed stdout): a message is marked read only once it really reached the worker.
    public static func confirmPrinted() throws(PPDSError) {
        errno = 0
        guard fflush(nil) != 0 || !standardOutputWasWritten() else { return }
        let reason = errno == 0 ? "write error" : String(cString: strerror(errno))
        throw PPDSError.io("could not print the guidance (\(reason)); it stays unread")
    }
}
