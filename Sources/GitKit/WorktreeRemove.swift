import CGit2
import Foundation

extension Repository {
    /// Removes a linked worktree: its folder and its admin entry.
    ///
    /// - A locked worktree is refused, unless its lock reason is `ownLockReason`, the lock the
    ///   caller itself took.
    /// - A worktree with changes or untracked files is refused unless `force`.
    public func removeWorktree(_ name: String, force: Bool = false, ownLockReason: String? = nil) throws(GitError) {
        let operation = "remove worktree"
        guard let info = worktree(named: name) else {
            throw GitError(.notFound, operation, name, message: "no such worktree")
        }
        var ownLock = false
        if let reason = info.lockReason {
            guard let ownLockReason, reason == ownLockReason else {
                throw GitError(.locked, operation, info.path.isEmpty ? name : info.path,
                               message: "the worktree is locked" + (reason.isEmpty ? "" : " (\(reason))") + "; unlock it with 'git worktree unlock' first")
            }
            ownLock = true
        }
        if info.state == .ok, !force {
            let dirt = try workingTreeStatus(at: info.path)
            if dirt.isDirty {
                throw GitError(.dirty, operation, info.path, message: "the worktree has \(dirt.summary); commit or stash them, or force")
            }
        }
        if info.state == .halfMade {
            try removeAdminEntry(name)
            return
        }
        let worktree = try lookupWorktree(name)
        var options = git_worktree_prune_options()
        try gitCall(operation, name) { git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION)) }
        options.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
        if ownLock { options.flags |= GIT_WORKTREE_PRUNE_LOCKED.rawValue }
        try gitCall(operation, info.path) { git_worktree_prune(worktree.pointer, &options) }
    }

    /// Removes admin entries whose folder is gone, and half-made entries, the way
    /// `git worktree prune` would plus the leftovers it misses. Locked entries stay.
    /// Half-made entries younger than `settle` seconds may be an add in progress and stay, as do
    /// the names in `sparing` (adds the caller knows are running).
    @discardableResult
    public func pruneStaleWorktrees(dryRun: Bool = false, settle: TimeInterval = 10, sparing: Set<String> = []) throws(GitError) -> [WorktreeInfo] {
        var pruned: [WorktreeInfo] = []
        for name in adminEntryNames() where !sparing.contains(name) {
            let info = worktreeEntry(name)
            guard info.state != .ok, !info.isLocked else { continue }
            if info.state == .halfMade, let age = adminEntryAge(name), age < settle { continue }
            if !dryRun { try removeAdminEntry(name) }
            pruned.append(info)
        }
        return pruned
    }

    private func adminEntryAge(_ name: String) -> TimeInterval? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: worktreesAdminDir + "/" + name)
        guard let date = attributes?[.modificationDate] as? Date else { return nil }
        return Date().timeIntervalSince(date)
    }

    func removeAdminEntry(_ name: String) throws(GitError) {
        do {
            try FileManager.default.removeItem(atPath: worktreesAdminDir + "/" + name)
        } catch {
            throw GitError(.precondition, "prune worktree entry", name, message: "\(error.localizedDescription)")
        }
    }
}
