import CGit2

/// How a branch was found to be merged into its base. The raw values are the contract's names.
public enum MergeCheck: String, Sendable, CaseIterable, Codable {
    /// The branch tip is the base tip.
    case sameCommit = "same-commit"
    /// The branch tip is reachable from the base (fast-forward or merge commit).
    case ancestor
    /// The branch's tree equals its merge base's: it adds nothing (e.g. changes reverted).
    case noChanges = "no-changes"
    /// The branch's tree equals the base's tree.
    case treeEqual = "tree-equal"
    /// Merging the branch into the base now would not change the base's tree (squash merges,
    /// even after the base moved on).
    case mergeAddsNothing = "merge-adds-nothing"
    /// The branch's changes appear on the base under other commits (rebase merges, squash
    /// merges that conflict in a merge simulation). Capped; see `MergeDetector.patchIDCap`.
    case patchID = "patch-id"
}

/// Classifies branches against bases, cheapest check first. Caches patch-ids per commit, so one
/// detector reused over many branches of one base walks the base's history once.
/// Not thread-safe, like the repository it wraps.
public final class MergeDetector {
    /// How many base commits since the merge base the patch-id check reads at most.
    public static let defaultPatchIDCap = 500

    public let repository: Repository
    public let patchIDCap: Int
    private var patchIDs: [ObjectID: ObjectID?] = [:]
    private var basePatchIDSets: [String: Set<ObjectID>] = [:]

    public init(repository: Repository, patchIDCap: Int = MergeDetector.defaultPatchIDCap) {
        self.repository = repository
        self.patchIDCap = patchIDCap
    }

    /// Which check found `tip` merged into `base`, or nil when it is not merged.
    public func check(tip: ObjectID, base: ObjectID) throws(GitError) -> MergeCheck? {
        if tip == base { return .sameCommit }
        if try repository.isReachable(tip, from: base) { return .ancestor }
        guard let mergeBase = try repository.mergeBase(tip, base) else { return nil }
        let tipTree = try repository.treeID(ofCommit: tip)
        if tipTree == (try repository.treeID(ofCommit: mergeBase)) { return .noChanges }
        let baseTree = try repository.treeID(ofCommit: base)
        if tipTree == baseTree { return .treeEqual }
        if try mergeAddsNothing(tip: tip, base: base, baseTree: baseTree) { return .mergeAddsNothing }
        if try patchIDMatches(tip: tip, base: base, mergeBase: mergeBase) { return .patchID }
        return nil
    }

    private func mergeAddsNothing(tip: ObjectID, base: ObjectID, baseTree: ObjectID) throws(GitError) -> Bool {
        let ours = try repository.lookupCommit(base)
        let theirs = try repository.lookupCommit(tip)
        let index = try Handle.make("simulate merge", "\(tip.short) into \(base.short)", release: { git_index_free($0) }) {
            git_merge_commits(&$0, repository.pointer, ours.pointer, theirs.pointer, nil)
        }
        if git_index_has_conflicts(index.pointer) != 0 { return false }
        var tree = git_oid()
        try gitCall("simulate merge", tip.short) { git_index_write_tree_to(&tree, index.pointer, repository.pointer) }
        return ObjectID(tree) == baseTree
    }

    /// True when the branch's whole change, or each of its commits, has a twin on the base
    /// among the `patchIDCap` newest commits since the merge base.
    private func patchIDMatches(tip: ObjectID, base: ObjectID, mergeBase: ObjectID) throws(GitError) -> Bool {
        let key = base.hex + mergeBase.hex
        let baseSet: Set<ObjectID>
        if let cached = basePatchIDSets[key] {
            baseSet = cached
        } else {
            var set = Set<ObjectID>()
            for commit in try repository.commits(from: base, excluding: [mergeBase], limit: patchIDCap) {
                if let id = try commitPatchID(commit) { set.insert(id) }
            }
            basePatchIDSets[key] = set
            baseSet = set
        }
        guard !baseSet.isEmpty else { return false }
        if let whole = try patchID(from: try repository.treeID(ofCommit: mergeBase), to: try repository.treeID(ofCommit: tip)),
           baseSet.contains(whole) {
            return true
        }
        let own = try repository.commits(from: tip, excluding: [mergeBase], limit: patchIDCap)
        guard !own.isEmpty, own.count < patchIDCap else { return false }
        for commit in own {
            guard let id = try commitPatchID(commit), baseSet.contains(id) else { return false }
        }
        return true
    }

    /// The patch-id of a single-parent commit's change (nil for merges, roots and empty changes).
    private func commitPatchID(_ commit: ObjectID) throws(GitError) -> ObjectID? {
        if let cached = patchIDs[commit] { return cached }
        let parents = try repository.parents(of: commit)
        var id: ObjectID?
        if parents.count == 1 {
            id = try patchID(from: try repository.treeID(ofCommit: parents[0]), to: try repository.treeID(ofCommit: commit))
        }
        patchIDs[commit] = id
        return id
    }

    /// `git patch-id --stable` of the diff between two trees; nil when they are equal.
    private func patchID(from old: ObjectID, to new: ObjectID) throws(GitError) -> ObjectID? {
        if old == new { return nil }
        var oldID = old.raw, newID = new.raw
        let oldTree = try Handle.make("read tree", old.hex, release: { git_tree_free($0) }) {
            git_tree_lookup(&$0, repository.pointer, &oldID)
        }
        let newTree = try Handle.make("read tree", new.hex, release: { git_tree_free($0) }) {
            git_tree_lookup(&$0, repository.pointer, &newID)
        }
        let diff = try Handle.make("diff trees", "\(old.short)..\(new.short)", release: { git_diff_free($0) }) {
            git_diff_tree_to_tree(&$0, repository.pointer, oldTree.pointer, newTree.pointer, nil)
        }
        if git_diff_num_deltas(diff.pointer) == 0 { return nil }
        var out = git_oid()
        try gitCall("compute patch-id", "\(old.short)..\(new.short)") { git_diff_patchid(&out, diff.pointer, nil) }
        return ObjectID(out)
    }
}
