import Foundation
import Config
import GitKit
import SessionKit
import Support

/// Changes to a session, another machine's copy included.
extension SessionChanges {
    /// Applies `change` under the session's lock. With `workspace`, the session must belong to
    /// that repository (checked on the file as read, inside the lock): a verb run in one
    /// repository never changes another's session.
    public static func apply(_ change: SessionChange, to issue: IssueNumber, in store: SessionStore,
                             workspace: Workspace? = nil, now: Date? = nil) throws(PPDSError) -> Session {
        if let workspace, let mirrored = try applyToMirror(change, issue: issue, store: store, workspace: workspace, now: now) {
            return mirrored
        }
        return try applyLocal(change, to: issue, in: store, workspace: workspace, now: now)
    }

    /// The session a verb reaches for `issue`: this machine's, or else another machine's copy
    /// synced into the mirror folder (what guide, pause and resume change; see `applyToMirror`).
    public static func reachable(_ issue: IssueNumber, in store: SessionStore, workspace: Workspace?) throws(PPDSError) -> Session {
        if let workspace, let copy = mirrorCopy(issue, store: store, workspace: workspace) { return copy }
        return try PPDSError.wrapping { try store.load(issue) }
    }

    /// Another machine's copy of `issue`, only when this machine has no file for it (an
    /// unreadable local file is never passed over for a copy).
    public static func mirrorCopy(_ issue: IssueNumber, store: SessionStore, workspace: Workspace) -> Session? {
        guard !FileManager.default.fileExists(atPath: store.path(for: issue)) else { return nil }
        return try? workspace.mirrorStore.loadIfPresent(issue)
    }

    /// Another machine's session (no local one, a copy in the mirror folder): guide, pause and
    /// resume change the copy, and the next `ppds sync` carries the change to its machine. Nil
    /// when the issue has a local session or no copy.
    static func applyToMirror(_ change: SessionChange, issue: IssueNumber, store: SessionStore, workspace: Workspace,
                              now: Date?) throws(PPDSError) -> Session? {
        guard let copy = mirrorCopy(issue, store: store, workspace: workspace) else { return nil }
        switch change {
        case .guide, .pause, .resume: break
        default:
            let owner = copy.machine.map { "\($0.label) (\($0.id))" } ?? "another machine"
            throw PPDSError.refused("\(issue.tag) runs on \(owner); only guide, pause and resume reach it from here (through 'ppds sync')")
        }
        return try PPDSError.wrapping {
            try workspace.mirrorStore.modify(issue) { current in try current.applying(change, at: now ?? Date()) }
        }
    }
}
