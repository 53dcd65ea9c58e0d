import Foundation
import SessionKit
import LifecycleCore
import Replication

/// The sessions waiting for the orchestrator's answer (a stuck question or a plan to review),
/// the longest waiting first: what `ppds next`, the MCP `next` tool and any other front end walk.
public enum AnswerQueue {
    /// This repository's waiting sessions and other machines' (synced copies), the longest
    /// waiting first; answered-but-unread ones only with `includeAnswered`.
    public static func waiting(in workspace: Workspace, includeAnswered: Bool) -> [Session] {
        var sessions = workspace.store.list().sessions.filter { workspace.owns($0) }
        let local = Set(sessions.map(\.issue))
        sessions += workspace.mirrorStore.list().sessions.filter { !local.contains($0.issue) }
        return waiting(sessions, includeAnswered: includeAnswered, home: workspace.store.home)
    }

    /// Stuck sessions and plans waiting for review, the longest waiting first; answered-but-unread
    /// questions only with `includeAnswered`.
    public static func waiting(_ sessions: [Session], includeAnswered: Bool, home: String? = nil) -> [Session] {
        func since(_ session: Session) -> Date { session.stuck?.since ?? session.latestPlan?.at ?? .distantPast }
        return sessions
            .filter { ($0.status == .stuck && (includeAnswered || !answered($0, home: home))) || $0.planWaitsForReview }
            .sorted { (since($0), $0.issue.value) < (since($1), $1.issue.value) }
    }

    /// Answered and not yet read by the worker. An unread answer from a machine this one does
    /// not trust is no answer: it never reaches the worker.
    public static func answered(_ session: Session, home: String?) -> Bool {
        guard session.stuckAnswer?.state == .unread else { return false }
        guard let home else { return true }
        let unread = session.unreadGuidanceWithOrigin(home: home)
        let held = unread.filter { !$0.origin.verdict.acts }
        return held.isEmpty || unread.contains { $0.origin.verdict.acts }
    }
}
