import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// `ppds adopt PATH N`: a linked worktree someone made with `git worktree add` becomes the
/// session of issue N. Only a session file is written; git is not touched at all.
public enum Adopt {
    /// Adopts the linked worktree at `path` (any spelling of its folder) for `issue`, with the
    /// default base (config `base`, else origin/HEAD, origin/main, …, else the local default).
    public static func run(path: String, issue: IssueNumber, workspace: Workspace, config: Config,
                           title: String? = nil, now: Date = Date()) throws(PPDSError) -> Session {
        let repository = try workspace.openRepository()
        let folder = canonicalPath(Workspace.absolute(path, from: FileManager.default.currentDirectoryPath))
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw PPDSError.refused("\(folder): no such folder")
        }
        let worktrees = try PPDSError.wrapping { try repository.worktrees() }
        guard let entry = worktrees.first(where: { !$0.path.isEmpty && canonicalPath($0.path) == folder }) else {
            throw PPDSError.refused("\(folder) is not a linked worktree of \(workspace.repoRoot) (see git worktree list)")
        }
        guard !entry.isMain else {
            throw PPDSError.refused("\(folder) is the repository's main worktree; only a linked worktree (git worktree add) can be adopted")
        }
        guard entry.state == .ok else {
            throw PPDSError.refused("\(folder): its worktree entry '\(entry.name)' is not usable (\(entry.state.rawValue)); see ppds doctor")
        }
        let branch: String
        switch entry.head {
        case .branch(let name): branch = name
        case .detached(let commit):
            throw PPDSError.refused("\(folder) has a detached HEAD (at \(commit.short)); check out a branch there first (git switch -c <branch>)")
        case .unknown:
            throw PPDSError.refused("\(folder): its HEAD cannot be read")
        }
        let tip: ObjectID
        do {
            guard let found = try repository.branch(branch) else {
                throw PPDSError.refused("\(folder) is on \(branch), which has no commits yet")
            }
            tip = found.target
        } catch let error as PPDSError { throw error } catch { throw PPDSError.from(error) }
        let base = try BaseResolver.resolve(given: nil, config: config, repository: repository)
        guard base.name != branch else {
            throw PPDSError.refused("\(folder) has the base branch \(branch) checked out; a session needs a branch of its own")
        }
        let mergeBase = try PPDSError.wrapping { try repository.mergeBase(tip, base.commit) }
        guard let mergeBase else {
            throw PPDSError.refused("\(branch) and \(base.name) have no common history")
        }
        let store = workspace.store
        do {
            return try store.withNamingLock {
                try store.withLock(issue) {
                    if let existing = try store.loadIfPresent(issue) {
                        throw PPDSError.conflict("\(issue.tag) already has a session (\(existing.status.fileValue)): \(existing.branch) → \(existing.worktree)")
                    }
                    for other in store.list().sessions where workspace.owns(other) {
                        if canonicalPath(other.worktree) == folder || other.branch == branch {
                            throw PPDSError.conflict("\(other.issue.tag)'s session already claims \(canonicalPath(other.worktree) == folder ? folder : "the branch " + branch)")
                        }
                    }
                    var session = Session(issue: issue, status: .registered, branch: branch, worktree: folder, started: now,
                                          title: title, repo: workspace.repoRoot, base: base.name, baseCommit: mergeBase.hex)
                    try PortAllocation.allocate(store: store, config: config, for: issue, repo: workspace.repoRoot) { ports in
                        session.ports = ports
                        try store.save(session)
                    }
                    return try store.load(issue)
                }
            }
        } catch {
            throw PPDSError.from(error)
        }
    }
}
