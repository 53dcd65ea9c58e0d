import CGit2
import Support

/// Commits, trees and history questions.
extension Repository {
    /// Resolves any revision (`main`, `origin/main`, a sha, `HEAD~2`) to a commit id.
    public func resolveCommit(_ revision: String) throws(GitError) -> ObjectID {
        let object = try Handle.make("resolve revision", revision, release: { git_object_free($0) }) {
            out in withPointer { git_revparse_single(&out, $0, revision) }
        }
        let commit = try Handle.make("resolve revision to a commit", revision, release: { git_object_free($0) }) {
            out in object.withPointer { git_object_peel(&out, $0, GIT_OBJECT_COMMIT) }
        }
        return commit.withPointer { ObjectID(git_object_id($0).pointee) }
    }

    func lookupCommit(_ id: ObjectID) throws(GitError) -> Handle {
        var oid = id.raw
        return try Handle.make("look up commit", id.hex, release: { git_commit_free($0) }) {
            out in withPointer { git_commit_lookup(&out, $0, &oid) }
        }
    }

    /// The tree id of a commit.
    public func treeID(ofCommit id: ObjectID) throws(GitError) -> ObjectID {
        let commit = try lookupCommit(id)
        return commit.withPointer { ObjectID(git_commit_tree_id($0).pointee) }
    }

    /// The parents of a commit.
    public func parents(of id: ObjectID) throws(GitError) -> [ObjectID] {
        let commit = try lookupCommit(id)
        return commit.withPointer { commit in
            let count = git_commit_parentcount(commit)
            return (0..<count).map { ObjectID(git_commit_parent_id(commit, $0).pointee) }
        }
    }

    /// The best common ancestor, or nil when the histories are unrelated.
    public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws(GitError) -> ObjectID? {
        var out = git_oid()
        var one = a.raw, two = b.raw
        git_error_clear()
        let code = withPointer { git_merge_base(&out, $0, &one, &two) }
        if code == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        if code < 0 { throw GitError.last(code, "find merge base", "\(a.short) \(b.short)") }
        return ObjectID(out)
    }

    /// True when `commit` is reachable from `tip` (equal counts as reachable).
    public func isReachable(_ commit: ObjectID, from tip: ObjectID) throws(GitError) -> Bool {
        var target = commit.raw
        var tips = [tip.raw]
        let code = try gitCall("check ancestry", "\(commit.short) from \(tip.short)") {
            withPointer { git_graph_reachable_from_any($0, &target, &tips, 1) }
        }
        return code == 1
    }

    /// Commits `local` has that `upstream` lacks, and the reverse.
    public func aheadBehind(_ local: ObjectID, _ upstream: ObjectID) throws(GitError) -> (ahead: Int, behind: Int) {
        var ahead = 0, behind = 0
        var a = local.raw, b = upstream.raw
        try gitCall("count ahead/behind", "\(local.short)...\(upstream.short)") {
            withPointer { git_graph_ahead_behind(&ahead, &behind, $0, &a, &b) }
        }
        return (ahead, behind)
    }

    /// Commits reachable from `tip` but not from any of `hidden`, newest first, at most `limit`.
    public func commits(from tip: ObjectID, excluding hidden: [ObjectID], limit: Int = .max) throws(GitError) -> [ObjectID] {
        let walk = try Handle.make("walk history", tip.hex, release: { git_revwalk_free($0) }) {
            out in withPointer { git_revwalk_new(&out, $0) }
        }
        _ = walk.withPointer { git_revwalk_sorting($0, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue) }
        var start = tip.raw
        try gitCall("walk history", tip.hex) { walk.withPointer { git_revwalk_push($0, &start) } }
        for id in hidden {
            var hide = id.raw
            try gitCall("walk history", id.hex) { walk.withPointer { git_revwalk_hide($0, &hide) } }
        }
        var result: [ObjectID] = []
        var next = git_oid()
        while result.count < limit {
            let code = walk.withPointer { git_revwalk_next(&next, $0) }
            if code == GIT_ITEROVER.rawValue { break }
            if code < 0 { throw GitError.last(code, "walk history", tip.hex) }
            result.append(ObjectID(next))
        }
        return result
    }
}

extension Repository {
    /// Where a symbolic ref points (`refs/remotes/origin/HEAD` → `refs/remotes/origin/main`), or nil.
    public func symbolicTarget(of refName: String) -> String? {
        var out: OpaquePointer?
        git_error_clear()
        guard withPointer({ git_reference_lookup(&out, $0, refName) }) == 0, let out else { git_error_clear(); return nil }
        let ref = Handle(out, release: { git_reference_free($0) })
        return ref.withPointer { ref in
            guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(ref) else { return nil }
            return String(cString: target)
        }
    }

    /// Whether a ref exists (full name, e.g. `refs/remotes/origin/main`).
    public func referenceExists(_ refName: String) -> Bool {
        var oid = git_oid()
        git_error_clear()
        defer { git_error_clear() }
        return withPointer { git_reference_name_to_id(&oid, $0, refName) } == 0
    }

    /// Whether git ignores `relativePath` in this handle's working folder.
    public func isIgnored(_ relativePath: String) -> Bool {
        var ignored: Int32 = 0
        git_error_clear()
        defer { git_error_clear() }
        return withPointer { git_ignore_path_is_ignored(&ignored, $0, relativePath) } == 0 && ignored == 1
    }
}
