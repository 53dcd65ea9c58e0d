#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Whether a stuck session's question has been answered, and whether its worker has read the
/// answer: what the orchestrator needs to tell "waiting for a human" from "waiting for the
/// worker".
public struct StuckAnswer: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Guidance was relayed; no worker has read it yet.
        case unread
        /// The worker read every message relayed since it got stuck.
        case read
    }

    public let state: State
    /// When the newest answer was relayed.
    public let answeredAt: Date
    /// When the worker last read guidance (for `.read`).
    public let readAt: Date?
}

extension Session {
    /// For a stuck session (or one paused while stuck): the answer to its question, if any.
    /// Guidance relayed since it got stuck counts, and so does any message still unread.
    public var stuckAnswer: StuckAnswer? {
        guard status == .stuck || (status == .paused && pausedFrom == .stuck), let since = stuck?.since else { return nil }
        let replies = guidance.filter { $0.at >= since || $0.delivered == nil }
        guard let newest = replies.map(\.at).max() else { return nil }
        let unread = replies.filter { $0.delivered == nil }
        if let newestUnread = unread.map(\.at).max() {
            return StuckAnswer(state: .unread, answeredAt: newestUnread, readAt: nil)
        }
        return StuckAnswer(state: .read, answeredAt: newest, readAt: replies.compactMap(\.delivered).max())
    }
}
