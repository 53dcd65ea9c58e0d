import Config
import SessionKit
import Support
import LifecycleCore
import Replication
import Agents

/// What `cancel` asks for.
public struct CancelRequest: Sendable {
    public var issue: IssueNumber
    /// Also remove the worktree and branch, under prune's safety rules.
    public var remove: Bool
    /// With `remove`: remove the worktree even with uncommitted or untracked changes.
    public var force: Bool
    /// With `remove`: delete the branch even with unmerged commits.
    public var forceDelete: Bool

    public init(issue: IssueNumber, remove: Bool = false, force: Bool = false, forceDelete: Bool = false) {
        self.issue = issue
        self.remove = remove
        self.force = force
        self.forceDelete = forceDelete
    }
}

/// What cancel did: the session as it is now, what giving back its claim said, and the
/// removal's report when one was asked for.
public struct CancelReport: Sendable {
    public var session: Session
    /// The registry claim could not be given back (the cancel itself stands).
    public var claimWarnings: [String]
    public var removal: PruneReport?

    /// Why the operation as a whole did not succeed (an edge maps it): a removal that failed.
    public var failure: PPDSError.Reason? { removal?.anyFailed == true ? .failed : nil }
}

/// cancel: the session becomes `cancelled` (idempotent), its registry claim is given back so
/// any machine may start the issue again, and with `remove` its worktree and branch go through
/// prune's rules. One operation for every front end.
public enum Cancel {
    /// `store` is the store that holds the session (scoped to its repository); `workspace` the
    /// repository the caller named, when it named one.
    public static func run(_ request: CancelRequest, store: SessionStore, workspace named: Workspace?) throws(PPDSError) -> CancelReport {
        let issue = request.issue
        let current = try PPDSError.wrapping { try store.load(issue) }
        // Its agent stops first: a cancelled session has no worker (one on another machine is that machine's to stop).
        _ = try? AgentStop.stop(issue, store: store)
        let session = current.status == .cancelled ? current : try SessionChanges.apply(.cancel, to: issue, in: store, workspace: named)
        let located = named ?? (try? Workspace.locate(repo: session.repo))
        var claimWarnings: [String] = []
        if let located, let config = try? Config.load(home: located.store.home, repoRoot: located.repoRoot) {
            claimWarnings = RegistryClaims.release([issue], workspace: located, config: config)
        }
        var report = CancelReport(session: session, claimWarnings: claimWarnings, removal: nil)
        guard request.remove else { return report }
        let workspace: Workspace
        if let located { workspace = located } else { workspace = try Workspace.locate(repo: session.repo) }
        let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
        report.removal = try Prune(workspace: workspace, config: config)
            .run(PruneRequest(issues: [issue], force: request.force, forceDelete: request.forceDelete, minAge: 0))
        return report
    }
}
