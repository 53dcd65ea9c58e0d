import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support
import LifecycleCore
import Forge
import Agents

/// `show`'s one lookup, for the CLI and the server: this machine's session with its git
/// facts, or, when only another machine runs it, that machine's copy (synced into the mirror
/// folder) without git facts.
public enum SessionShow: Sendable {
    case here(SessionView)
    /// Another machine's session, as of the last `ppds sync`.
    case elsewhere(SessionView, owner: Machine?)

    /// `workspace` is the repository the caller is scoped to, if any (the mirror is per repository).
    public static func read(_ issue: IssueNumber, store: SessionStore, workspace: Workspace?) throws(PPDSError) -> SessionShow {
        if let workspace, let copy = SessionChanges.mirrorCopy(issue, store: store, workspace: workspace) {
            var view = SessionView(session: copy, git: SessionGitState(), home: store.home)
            view.agent = AgentLiveness.observe(copy, machineID: (try? Machine.current(home: store.home))?.id)
            return .elsewhere(view, owner: copy.machine)
        }
        let session = try PPDSError.wrapping { try store.load(issue) }
        let located: Workspace
        if let workspace { located = workspace } else { located = try Workspace.locate(repo: session.repo) }
        let git = try GitFactReader(repository: try located.openRepository()).state(of: session, includeDirty: true)
        var view = SessionView(session: session, git: git, home: store.home)
        if session.agent != nil { view.agent = AgentLiveness.observe(session, machineID: (try? Machine.current(home: store.home))?.id) }
        // The PR's state on the forge, as of the last refresh (a hint, never evidence).
        if session.pr != nil { view.pullRequest = PullRequestRefresh.cached(session, in: ForgeCache(located).loadPullRequests()) }
        return .here(view)
    }

    public var view: SessionView {
        switch self {
        case .here(let view), .elsewhere(let view, _): view
        }
    }

    public var json: OrderedJSON { .document("session", view.json) }
}
