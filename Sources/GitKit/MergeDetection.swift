import CGit2
import Foundation
import Support

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
    /// merges that conflict in a merge simulation), compared verbatim: whitespace counts and
    /// binary files are compared by blob id. Only base commits touching the branch's paths are read.
    case patchID = "patch-id"

    /// How a person says it ("squash-merged"); the JSON keeps `rawValue`, the exact check.
    public var spoken: String {
        switch self {
        case .sameCommit: "at the base's commit"
        case .ancestor: "merged"
        case .noChanges: "adds nothing to the base"
        case .treeEqual: "same files as the base"
        case .mergeAddsNothing: "merged (squashed or rebased)"
        case .patchID: "merged (rebased or cherry-picked)"
        }
    }
}

/// Classifies branches against bases, cheapest check first. With git's commit-graph
/// (`CommitGraph`), merge bases and "commits since" are walks over its integer positions in
/// generation order (`GraphHistory`), and its changed-path Bloom filters rule out most base
/// commits in the patch-id walk without reading a tree. Without one, a detector reused over many
/// branches of one base reads the base's recent history once (`BaseHistory`) and answers from
/// memory, with libgit2's graph functions beyond that window. Patch-ids are cached per commit.
/// Not thread-safe, like the repository it wraps.
public final class MergeDetector {
    /// How many of the base's newest commits are held in memory.
    public static let historyWindow = 5000

    public let repository: Repository
    private var patchIDs: [PatchIDKey: ObjectID?] = [:]

    /// The exact patch-id decides; git's whitespace-blind one only hints.
    private enum PatchIDKind: String { case verbatim, ignoringWhitespace }
    private struct PatchIDKey: Hashable { let commit: ObjectID; let kind: PatchIDKind }
    private var histories: [ObjectID: BaseHistory] = [:]

    /// Whether git's commit-graph may answer history questions (tests compare both ways).
    private let useCommitGraph: Bool
    /// Loaded on the first check; `.some(nil)` when the repository has none git would use.
    private var graphHistory: GraphHistory??

    public init(repository: Repository, useCommitGraph: Bool = true) {
        self.repository = repository
        self.useCommitGraph = useCommitGraph
    }

    /// Whether a commit-graph answers this detector's history questions (for reports and tests).
    public var usesCommitGraph: Bool { walker() != nil }

    /// How many commits this detector walked without a commit-graph: the base's history window
    /// read into memory, the base's commits since a merge base (each one a patch-id walk step,
    /// which a graph's Bloom filters mostly skip) and a branch's own commits. What decides whether
    /// writing a graph would pay (`merged` and `prune` suggest it). libgit2's own merge-base walk
    /// is not counted: it does not say how far it went.
    public private(set) var commitsWalkedWithoutGraph = 0

    private func counted(_ commits: [ObjectID]) -> [ObjectID] {
        commitsWalkedWithoutGraph += commits.count
        return commits
    }

    private func walker() -> GraphHistory? {
        if let loaded = graphHistory { return loaded }
        let graph = useCommitGraph ? CommitGraph.load(commonDir: repository.commonDir, repository: repository) : nil
        let loaded = graph.map { GraphHistory(graph: $0, repository: repository) }
        graphHistory = .some(loaded)
        return loaded
    }

    /// The merge base of `tip` and `base`, and a way to list the base's commits since it (oldest
    /// first). From the commit-graph when there is one, else from `BaseHistory` and libgit2.
    private struct Ancestry {
        let mergeBase: ObjectID?
        let since: () throws(GitError) -> [ObjectID]
    }

    private func ancestry(tip: ObjectID, base: ObjectID) throws(GitError) -> Ancestry {
        if let walker = walker(), let tipNode = try walker.node(tip), let baseNode = try walker.node(base),
           let answer = walker.mergeBase(tipNode, baseNode) {
            guard case .found(let node) = answer else { return Ancestry(mergeBase: nil, since: { [] }) }
            let mergeBase = walker.id(node)
            return Ancestry(mergeBase: mergeBase, since: { () throws(GitError) -> [ObjectID] in
                if let nodes = walker.commits(from: baseNode, excluding: node) { return nodes.map(walker.id) }
                return self.counted(try self.repository.commits(from: base, excluding: [mergeBase]).reversed())
            })
        }
        let history = try self.history(base)
        let mergeBase = try history.mergeBase(tip, repository)
        return Ancestry(mergeBase: mergeBase, since: { () throws(GitError) -> [ObjectID] in
            guard let mergeBase else { return [] }
            return self.counted(try history.commitsSince(mergeBase, limit: .max, self.repository).reversed())
        })
    }

    /// A commit's tree and parents, from the commit-graph when it holds the commit.
    private func treeID(_ commit: ObjectID) throws(GitError) -> ObjectID {
        if let walker = walker(), let position = walker.graph.position(of: commit) { return walker.graph.tree(at: position) }
        return try repository.treeID(ofCommit: commit)
    }

    private func parents(_ commit: ObjectID) throws(GitError) -> [ObjectID] {
        if let walker = walker(), let position = walker.graph.position(of: commit), let parents = walker.graph.parents(at: position) {
            return parents.map { walker.graph.id(at: $0) }
        }
        return try repository.parents(of: commit)
    }

    /// Which check found `tip` merged into `base`, or nil when it is not merged.
    public func check(tip: ObjectID, base: ObjectID) throws(GitError) -> MergeCheck? {
        if tip == base { return .sameCommit }
        let ancestry = try self.ancestry(tip: tip, base: base)
        // The tip is reachable from the base exactly when it is their merge base.
        guard let mergeBase = ancestry.mergeBase else { return nil }
        if mergeBase == tip { return .ancestor }
        let tipTree = try treeID(tip)
        if tipTree == (try treeID(mergeBase)) { return .noChanges }
        let baseTree = try treeID(base)
        if tipTree == baseTree { return .treeEqual }
        let mergeBaseTree = try treeID(mergeBase)
        if try !mergeSurelyChangesBase(ancestor: mergeBaseTree, base: baseTree, tip: tipTree),
           try mergeAddsNothing(tipTree: tipTree, baseTree: baseTree, mergeBase: mergeBase) {
            return .mergeAddsNothing
        }
        if try patchIDMatches(tip: tip, mergeBase: mergeBase, since: ancestry.since, kind: .verbatim) { return .patchID }
        return nil
    }

    /// Whether `tip`'s changes appear on the base when whitespace is ignored (git's own
    /// patch-id). A hint to report for an unmerged branch, never a reason to delete: a
    /// re-indented line can change a program's meaning.
    public func matchesIgnoringWhitespace(tip: ObjectID, base: ObjectID) throws(GitError) -> Bool {
        let ancestry = try self.ancestry(tip: tip, base: base)
        guard let mergeBase = ancestry.mergeBase else { return false }
        return try patchIDMatches(tip: tip, mergeBase: mergeBase, since: ancestry.since, kind: .ignoringWhitespace)
    }

    /// The base's history for answering ancestry and merge-base questions. The first few
    /// checks against a base ask libgit2 directly (what one branch needs); from the
    /// `historyAfter`th on, the base's recent history is read once and held in memory, which
    /// is cheaper over many branches.
    private func history(_ base: ObjectID) throws(GitError) -> BaseHistory {
        if let known = histories[base] { return known }
        checks[base, default: 0] += 1
        if checks[base, default: 0] < MergeDetector.historyAfter { return BaseHistory(direct: base) }
        let history = try BaseHistory(base: base, repository: repository, window: MergeDetector.historyWindow)
        commitsWalkedWithoutGraph += history.order.count
        histories[base] = history
        return history
    }

    /// How many checks against one base go to libgit2 before its history is held in memory.
    public static let historyAfter = 4
    private var checks: [ObjectID: Int] = [:]

    /// A cheap sufficient answer before the merge simulation: a path the branch changed that
    /// the base never touched since the merge base is taken from the branch by any merge (git's
    /// trivial merge), so the merge changes the base. Paths the base changed too go to the
    /// simulation, where a content merge may still leave the base as it is.
    private func mergeSurelyChangesBase(ancestor: ObjectID, base: ObjectID, tip: ObjectID) throws(GitError) -> Bool {
        let paths = try changedPaths(from: ancestor, to: tip)
        let ancestorTree = try tree(ancestor), baseTree = try tree(base), tipTree = try tree(tip)
        for path in paths {
            let old = entry(ancestorTree, path)
            if entry(baseTree, path) == old, entry(tipTree, path) != old { return true }
        }
        return false
    }

    /// The mode and id at `path` (NUL-terminated) below a tree, or nil when there is none.
    private func entry(_ tree: Handle, _ path: [CChar]) -> EntryKey? {
        tree.withPointer { tree -> EntryKey? in
            var out: OpaquePointer?
            git_error_clear()
            guard git_tree_entry_bypath(&out, tree, path) == 0, let out else { git_error_clear(); return nil }
            defer { git_tree_entry_free(out) }
            return EntryKey(mode: git_tree_entry_filemode(out).rawValue, id: ObjectID(git_tree_entry_id(out).pointee))
        }
    }

    private struct EntryKey: Equatable {
        let mode: UInt32
        let id: ObjectID
    }

    private func mergeAddsNothing(tipTree: ObjectID, baseTree: ObjectID, mergeBase: ObjectID) throws(GitError) -> Bool {
        let ancestor = try tree(try treeID(mergeBase))
        let ours = try tree(baseTree)
        let theirs = try tree(tipTree)
        var options = git_merge_options()
        git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION))
        // Rename detection reads and compares every added and deleted blob; "would this merge
        // change the base?" does not need it, and patch-id still catches what it would.
        options.flags = 0
        // A three-way merge of trees with the merge base already known: git_merge_commits would
        // walk the history again to find it.
        let index = try Handle.make("simulate merge", "\(tipTree.short) into \(baseTree.short)", release: { git_index_free($0) }) {
            out in repository.withPointer { repo in ancestor.withPointer { ancestor in ours.withPointer { ours in theirs.withPointer { theirs in
                git_merge_trees(&out, repo, ancestor, ours, theirs, &options)
            } } } }
        }
        if index.withPointer({ git_index_has_conflicts($0) }) != 0 { return false }
        // Compare the merged index with the base's tree directly: writing it as a tree would
        // leave loose objects in the repository for every branch checked.
        let diff = try Handle.make("simulate merge", tipTree.short, release: { git_diff_free($0) }) {
            out in repository.withPointer { repo in ours.withPointer { ours in index.withPointer { index in
                git_diff_tree_to_index(&out, repo, ours, index, nil)
            } } }
        }
        return diff.withPointer { git_diff_num_deltas($0) } == 0
    }

    /// True when the branch's whole change, or each of its own commits, has a twin on the
    /// base among the commits since the merge base. Only base commits that touch a path the
    /// branch touches can be a twin, so only those get a patch-id: a path-limited walk with no
    /// cap on its length, which finds a squash merge however far main has moved on since.
    private func patchIDMatches(tip: ObjectID, mergeBase: ObjectID, since: () throws(GitError) -> [ObjectID],
                                kind: PatchIDKind) throws(GitError) -> Bool {
        let own = try ownCommits(tip: tip, mergeBase: mergeBase)
        guard !own.isEmpty, own.count < MergeDetector.ownCommitCap else { return false }
        let mergeBaseTree = try treeID(mergeBase)
        let whole = try patchID(from: mergeBaseTree, to: try treeID(tip), kind)
        var paths = try changedPaths(from: mergeBaseTree, to: try treeID(tip))
        var wanted: [ObjectID] = []
        // Commit by commit only when every one of them is an ordinary commit: a merge commit can
        // hold changes of its own (a conflict resolution, an "evil merge") that no patch-id sees.
        var perCommit = true
        for commit in own {
            let parents = try parents(commit)
            guard parents.count == 1 else { perCommit = false; continue }
            paths.formUnion(try changedPaths(from: try treeID(parents[0]), to: try treeID(commit)))
            guard let id = try commitPatchID(commit, kind) else { continue }
            wanted.append(id)
        }
        if !perCommit { wanted.removeAll() }
        guard !paths.isEmpty else { return false }
        var found = Set<ObjectID>()
        let split = Self.components(paths)
        // Oldest first: a squash or rebase usually lands soon after the fork point, however far
        // the base has moved on since, so the whole-branch twin is met early. The order does
        // not change the answer (per-commit twins are collected over the whole range).
        // Per path, the keys of the path and of each folder above it (git's filters hold both):
        // one "certainly not" among them rules the path out.
        let bloomKeys: [[CommitGraph.BloomKey]] = walker() == nil ? [] : paths.map { path in
            let bytes = path.dropLast().map { UInt8(bitPattern: $0) }
            return bytes.indices.filter { $0 == bytes.count - 1 || bytes[$0 + 1] == UInt8(ascii: "/") }
                .map { CommitGraph.BloomKey(Array(bytes[...$0])) }
        }
        for commit in try since() {
            guard try touches(commit, split, bloomKeys) else { continue }
            guard let id = try commitPatchID(commit, kind) else { continue }
            if id == whole { return true }
            found.insert(id)
        }
        return !wanted.isEmpty && wanted.allSatisfy { found.contains($0) }
    }

    /// The branch's commits since the merge base (at most `ownCommitCap`).
    private func ownCommits(tip: ObjectID, mergeBase: ObjectID) throws(GitError) -> [ObjectID] {
        if let walker = walker(), let tipNode = try walker.node(tip), let baseNode = try walker.node(mergeBase),
           let nodes = walker.commits(from: tipNode, excluding: baseNode) {
            return nodes.prefix(MergeDetector.ownCommitCap).map(walker.id)
        }
        return counted(try repository.commits(from: tip, excluding: [mergeBase], limit: MergeDetector.ownCommitCap))
    }

    /// A branch with more commits of its own than this is not compared commit by commit.
    public static let ownCommitCap = 1000

    /// The paths (as bytes) whose entries differ between two trees.
    private func changedPaths(from old: ObjectID, to new: ObjectID) throws(GitError) -> Set<[CChar]> {
        if old == new { return [] }
        let oldTree = try tree(old)
        let newTree = try tree(new)
        let diff = try Handle.make("diff trees", "\(old.short)..\(new.short)", release: { git_diff_free($0) }) {
            out in repository.withPointer { repo in oldTree.withPointer { old in newTree.withPointer { new in
                git_diff_tree_to_tree(&out, repo, old, new, nil)
            } } }
        }
        var paths = Set<[CChar]>()
        diff.withPointer { diff in
            for index in 0..<git_diff_num_deltas(diff) {
                guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                for path in [delta.old_file.path, delta.new_file.path] {
                    if let path { paths.insert(Array(UnsafeBufferPointer(start: path, count: strlen(path) + 1))) }
                }
            }
        }
        return paths
    }

    /// Whether a single-parent commit changes the entry at any of `paths`. Compared one path
    /// component at a time from the root, so a folder whose tree id did not change is never
    /// read: most commits on a long history are ruled out by the root tree alone.
    /// With a commit-graph, the commit's changed-path Bloom filter rules most commits out
    /// without reading a tree (`bloomKeys`: the same paths as bytes); a "maybe" is checked on the trees.
    private func touches(_ commit: ObjectID, _ paths: [[[CChar]]], _ bloomKeys: [[CommitGraph.BloomKey]]) throws(GitError) -> Bool {
        let newID: ObjectID, oldID: ObjectID
        if let walker = walker(), let node = walker.graph.position(of: commit), let parents = walker.graph.parents(at: node) {
            guard parents.count == 1 else { return false }
            // The filter holds every path that differs from the first parent: "no" is certain.
            if !bloomKeys.isEmpty, bloomKeys.allSatisfy({ keys in keys.contains { walker.graph.mayHaveChanged($0, at: node) == false } }) {
                return false
            }
            newID = walker.graph.tree(at: node)
            oldID = walker.graph.tree(at: parents[0])
        } else {
        let handle = try repository.lookupCommit(commit)
        // The ids live in the commit object: copy them while it is certainly alive.
        let ids = handle.withPointer { handle -> (tree: ObjectID, parent: ObjectID)? in
            guard git_commit_parentcount(handle) == 1 else { return nil }
            return (ObjectID(git_commit_tree_id(handle).pointee), ObjectID(git_commit_parent_id(handle, 0).pointee))
        }
        guard let ids else { return false }
            newID = ids.tree
            oldID = try treeID(ids.parent)
        }
        if newID == oldID { return false }
        let new = try tree(newID)
        let old = try tree(oldID)
        for path in paths where try differs(old, new, path, 0) { return true }
        return false
    }

    /// Whether the entry at `path[level...]` below these two trees (nil: no such folder)
    /// differs in id, mode or presence.
    private func differs(_ old: Handle?, _ new: Handle?, _ path: [[CChar]], _ level: Int) throws(GitError) -> Bool {
        // Entries point into their trees: copy what is compared while each tree is lent.
        let oldEntry = old?.withPointer { TreeEntry(git_tree_entry_byname($0, path[level])) }
        let newEntry = new?.withPointer { TreeEntry(git_tree_entry_byname($0, path[level])) }
        switch (oldEntry, newEntry) {
        case (nil, nil): return false
        case (nil, _), (_, nil): return true
        case (let a?, let b?):
            if a.mode == b.mode, a.id == b.id { return false }
            if level == path.count - 1 { return true }
            let oldSub = a.type == GIT_OBJECT_TREE ? try tree(a.id) : nil
            let newSub = b.type == GIT_OBJECT_TREE ? try tree(b.id) : nil
            if oldSub == nil && newSub == nil { return false }
            return try differs(oldSub, newSub, path, level + 1)
        }
    }

    /// A tree entry's mode, id and type, copied out of its tree.
    private struct TreeEntry {
        let mode: git_filemode_t
        let id: ObjectID
        let type: git_object_t

        init?(_ entry: OpaquePointer?) {
            guard let entry else { return nil }
            mode = git_tree_entry_filemode(entry)
            id = ObjectID(git_tree_entry_id(entry).pointee)
            type = git_tree_entry_type(entry)
        }
    }

    /// Paths (NUL-terminated bytes) split into NUL-terminated components.
    private static func components(_ paths: Set<[CChar]>) -> [[[CChar]]] {
        paths.map { path in
            path.dropLast().split(separator: CChar(UInt8(ascii: "/")), omittingEmptySubsequences: false).map { Array($0) + [0] }
        }
    }

    private func tree(_ id: ObjectID) throws(GitError) -> Handle {
        var raw = id.raw
        return try Handle.make("read tree", id.hex, release: { git_tree_free($0) }) {
            out in repository.withPointer { git_tree_lookup(&out, $0, &raw) }
        }
    }

    /// The patch-id of a single-parent commit's change (nil for merges, roots and empty changes).
    private func commitPatchID(_ commit: ObjectID, _ kind: PatchIDKind) throws(GitError) -> ObjectID? {
        let key = PatchIDKey(commit: commit, kind: kind)
        if let cached = patchIDs[key] { return cached }
        let parents = try parents(commit)
        var id: ObjectID?
        if parents.count == 1 {
            id = try patchID(from: try treeID(parents[0]), to: try treeID(commit), kind)
        }
        patchIDs[key] = id
        return id
    }

    /// The patch-id of the diff between two trees (verbatim, or `git patch-id --stable`'s
    /// whitespace-blind one); nil when they are equal.
    private func patchID(from old: ObjectID, to new: ObjectID, _ kind: PatchIDKind) throws(GitError) -> ObjectID? {
        if old == new { return nil }
        let oldTree = try tree(old)
        let newTree = try tree(new)
        let diff = try Handle.make("diff trees", "\(old.short)..\(new.short)", release: { git_diff_free($0) }) {
            out in repository.withPointer { repo in oldTree.withPointer { old in newTree.withPointer { new in
                git_diff_tree_to_tree(&out, repo, old, new, nil)
            } } }
        }
        if diff.withPointer({ git_diff_num_deltas($0) }) == 0 { return nil }
        if kind == .verbatim { return try repository.verbatimPatchID(diff) }
        var out = git_oid()
        try gitCall("compute patch-id", "\(old.short)..\(new.short)") { diff.withPointer { git_diff_patchid(&out, $0, nil) } }
        return ObjectID(out)
    }
}

/// The newest commits of one base, with their parents, held in memory.
final class BaseHistory {
    let base: ObjectID
    /// Newest first (topological, then time).
    private(set) var order: [ObjectID] = []
    private var position: [ObjectID: Int] = [:]
    private var parents: [ObjectID: [ObjectID]] = [:]
    /// True when the whole history fit in the window.
    private(set) var complete = true

    /// No history held: every question goes to libgit2 (cheap for one branch).
    init(direct base: ObjectID) {
        self.base = base
        complete = false
        direct = true
    }

    /// Answers from libgit2 alone.
    private var direct = false

    init(base: ObjectID, repository: Repository, window: Int) throws(GitError) {
        self.base = base
        order = try repository.commits(from: base, excluding: [], limit: window + 1)
        if order.count > window {
            order.removeLast()
            complete = false
        }
        for (index, commit) in order.enumerated() {
            position[commit] = index
            parents[commit] = try repository.parents(of: commit)
        }
    }

    /// The merge base of `tip` and the base: walks back from the tip (its own commits, read as
    /// needed) until it meets the base's history. Falls back to libgit2 for criss-cross
    /// histories and for tips older than the window.
    func mergeBase(_ tip: ObjectID, _ repository: Repository) throws(GitError) -> ObjectID? {
        if direct { return try repository.mergeBase(tip, base) }
        var queue = [tip]
        var seen: Set<ObjectID> = [tip]
        var candidates: [ObjectID] = []
        while let commit = queue.popLast() {
            if position[commit] != nil { candidates.append(commit); continue }
            if seen.count > 10_000 { return try repository.mergeBase(tip, base) }
            for parent in try repository.parents(of: commit) where seen.insert(parent).inserted {
                queue.append(parent)
            }
        }
        if candidates.isEmpty { return complete ? nil : try repository.mergeBase(tip, base) }
        // The best candidate is the one no other candidate descends from: the newest here.
        let best = candidates.min { position[$0]! < position[$1]! }!
        let others = candidates.filter { $0 != best }
        if others.allSatisfy({ reaches(best, $0) }) { return best }
        return try repository.mergeBase(tip, base)
    }

    /// Whether `ancestor` is reachable from `commit` inside the window.
    private func reaches(_ commit: ObjectID, _ ancestor: ObjectID) -> Bool {
        guard let limit = position[ancestor] else { return false }
        var queue = [commit]
        var seen: Set<ObjectID> = [commit]
        while let next = queue.popLast() {
            if next == ancestor { return true }
            for parent in parents[next] ?? [] where position[parent].map({ $0 <= limit }) ?? false && seen.insert(parent).inserted {
                queue.append(parent)
            }
        }
        return false
    }

    /// Base commits not reachable from `mergeBase`, newest first, at most `limit`.
    func commitsSince(_ mergeBase: ObjectID, limit: Int, _ repository: Repository) throws(GitError) -> [ObjectID] {
        guard position[mergeBase] != nil else {
            return try repository.commits(from: base, excluding: [mergeBase], limit: limit)
        }
        var reachable: Set<ObjectID> = [mergeBase]
        var queue = [mergeBase]
        while let next = queue.popLast() {
            for parent in parents[next] ?? [] where position[parent] != nil && reachable.insert(parent).inserted {
                queue.append(parent)
            }
        }
        var result: [ObjectID] = []
        for commit in order where !reachable.contains(commit) {
            result.append(commit)
            if result.count == limit { break }
        }
        return result
    }
}
