import Foundation
import SessionKit
import Support
import LifecycleCore
import Replication

/// The worker's end of the loop: guidance the orchestrator relayed, read and acknowledged.
///
/// Delivery is at-least-once: the caller shows the messages first and marks them read after
/// (`acknowledge`), so a worker killed between the two sees them again rather than never.
public enum WorkerInbox {
    /// Why `wait` returned.
    public enum Outcome: String, Sendable {
        /// New guidance arrived (or was there, unread).
        case guidance
        /// The session was paused (when the wait began or during it) and a human resumed it.
        case resumed
        /// The session is complete or cancelled: there is nothing more to wait for.
        case finished
        /// No guidance before the timeout.
        case timedOut
    }

    public struct Result: Sendable {
        public let outcome: Outcome
        public let session: Session
        /// The unread messages, oldest first (empty unless `outcome` is `.guidance`).
        public let guidance: [Guidance]
    }

    /// Marks the messages named by `ids` as read, under the session's lock. Writes nothing
    /// when they are read already.
    @discardableResult
    public static func acknowledge(_ ids: [String], of issue: IssueNumber, in store: SessionStore,
                                   now: Date = Date()) throws(PPDSError) -> Session {
        let wanted = Set(ids)
        return try PPDSError.wrapping {
            try store.modify(issue) { $0.markingDelivered(wanted, at: now) }
        }
    }

    /// Blocks until the session has unread guidance (held while it is paused), a paused session
    /// is resumed, the session finishes, or `timeout` passes (nil: no limit). Watches the session's folder with
    /// inotify; a re-read every `pollInterval` covers what inotify cannot see (another file
    /// system, a folder created later). Marks nothing: the caller acknowledges what it showed.
    public static func wait(for issue: IssueNumber, in store: SessionStore, workspace: Workspace? = nil,
                            timeout: TimeInterval?, pollInterval: TimeInterval = 2) throws(PPDSError) -> Result {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let folder = (store.path(for: issue) as NSString).deletingLastPathComponent
        let watcher = ChangeWatcher(folders: { [folder] })
        var sawPause = false
        var held = Set<String>()
        var lastGood = try load(issue, in: store, workspace: workspace)
        var first = true
        while true {
            let session: Session
            if first {  // read above, where a bad file is the caller's error
                session = lastGood
                first = false
            } else {
                do {
                    session = try load(issue, in: store, workspace: workspace)
                } catch where error.reason == .invalid {
                    // Another tool may be half-way through a non-atomic write: wait for the
                    // next change rather than leave the worker without its answer.
                    if let deadline, deadline.timeIntervalSinceNow <= 0 {
                        return Result(outcome: .timedOut, session: lastGood, guidance: [])
                    }
                    _ = watcher.wait(timeout: min(pollInterval, 0.5, deadline?.timeIntervalSinceNow ?? .infinity), settle: 0.005)
                    continue
                }
            }
            lastGood = session
            // A paused worker must not go on: guidance sent during the pause is held until the
            // resume, and then given with it, even if a `show` in the worktree marked it read
            // meanwhile (this worker, blocked here, has not seen it).
            if session.status == .paused { held.formUnion(session.undeliveredGuidance.map(\.id)) }
            // Guidance from a machine this one does not trust is never relayed (it stays unread,
            // for people to see); what remains was written here or signed by a trusted machine.
            let relayable = session.guidance.contains { $0.extra[GuidanceOrigin.key] != nil }
                ? Set(session.guidanceWithOrigin(home: store.home).filter { $0.origin.verdict.acts }.map(\.guidance.id)) : nil
            let unread = session.guidance.filter { item in
                (item.delivered == nil || held.contains(item.id)) && (relayable?.contains(item.id) ?? true)
            }
            if !unread.isEmpty && session.status != .paused { return Result(outcome: .guidance, session: session, guidance: unread) }
            if session.status.isTerminal { return Result(outcome: .finished, session: session, guidance: []) }
            if session.status == .paused {
                sawPause = true
            } else if sawPause {
                return Result(outcome: .resumed, session: session, guidance: [])
            }
            var slice = pollInterval
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { return Result(outcome: .timedOut, session: session, guidance: []) }
                slice = min(slice, left)
            }
            _ = watcher.wait(timeout: slice, settle: 0.005)
        }
    }

    private static func load(_ issue: IssueNumber, in store: SessionStore, workspace: Workspace?) throws(PPDSError) -> Session {
        let session = try PPDSError.wrapping { try store.load(issue) }
        try workspace?.requireOwns(session)
        return session
    }
}
