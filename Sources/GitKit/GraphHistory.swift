import CGit2
import Support

/// History questions (merge base, "commits since") answered over the commit-graph's integer
/// positions, walked in generation order as git does: a parent is never visited before a child,
/// so a walk stops as soon as what is left cannot change the answer. Commits newer than the graph
/// (it is written now and then, the refs move on) are read from the object database once and
/// numbered after the graph's, with generations computed the same way; a graph never holds a
/// commit whose parent it lacks, so the two parts join exactly.
///
/// Any answer it cannot give exactly (a criss-cross merge base, a damaged file, too many commits
/// outside the graph) is nil, and the caller asks libgit2 instead.
final class GraphHistory {
    let graph: CommitGraph
    private let repository: Repository

    /// Commits outside the graph: node `graph.count + k` is `outside[k]`.
    private var outsideIndex: [ObjectID: Int] = [:]
    private var outside: [(id: ObjectID, parents: [Int], generation: UInt64, tree: ObjectID)] = []
    /// Beyond this many commits outside the graph it is too stale to help: walk with libgit2.
    static let outsideCap = 5000

    init(graph: CommitGraph, repository: Repository) {
        self.graph = graph
        self.repository = repository
    }

    /// The node of a commit, reading it (and its ancestors down to the graph) from the object
    /// database when the graph does not hold it. nil when that would take too many commits.
    func node(_ id: ObjectID) throws(GitError) -> Int? {
        if let position = graph.position(of: id) { return position }
        if let known = outsideIndex[id] { return known }
        var pending: [ObjectID: (parents: [ObjectID], tree: ObjectID, time: UInt64)] = [:]
        var stack = [id]
        while let top = stack.last {
            if graph.position(of: top) != nil || outsideIndex[top] != nil { stack.removeLast(); continue }
            let info: (parents: [ObjectID], tree: ObjectID, time: UInt64)
            if let known = pending[top] {
                info = known
            } else {
                guard outside.count + pending.count < Self.outsideCap else { return nil }
                let commit = try repository.lookupCommit(top)
                info = commit.withPointer { commit in
                    let parents = (0..<git_commit_parentcount(commit)).map { ObjectID(git_commit_parent_id(commit, $0).pointee) }
                    return (parents, ObjectID(git_commit_tree_id(commit).pointee), UInt64(max(0, git_commit_time(commit))))
                }
                pending[top] = info
            }
            let missing = info.parents.filter { graph.position(of: $0) == nil && outsideIndex[$0] == nil }
            if !missing.isEmpty {
                stack.append(contentsOf: missing)
                continue
            }
            var parentNodes: [Int] = []
            var highest: UInt64 = 0
            for parent in info.parents {
                let node = graph.position(of: parent) ?? outsideIndex[parent]!
                parentNodes.append(node)
                highest = max(highest, generation(node))
            }
            // The graph's own rule: a level is one more than the highest parent's; a corrected
            // date is the commit time, raised above every parent's.
            let generation = graph.usesCorrectedDates ? max(info.time, highest + 1) : highest + 1
            outsideIndex[top] = graph.count + outside.count
            outside.append((top, parentNodes, generation, info.tree))
            stack.removeLast()
        }
        return graph.position(of: id) ?? outsideIndex[id]
    }

    func id(_ node: Int) -> ObjectID { node < graph.count ? graph.id(at: node) : outside[node - graph.count].id }
    func tree(_ node: Int) -> ObjectID { node < graph.count ? graph.tree(at: node) : outside[node - graph.count].tree }
    func parents(_ node: Int) -> [Int]? { node < graph.count ? graph.parents(at: node) : outside[node - graph.count].parents }
    func generation(_ node: Int) -> UInt64 { node < graph.count ? graph.generation(at: node) : outside[node - graph.count].generation }

    /// What the commit's changed-path filter says about `path` (see `CommitGraph.mayHaveChanged`).
    func mayHaveChanged(_ path: [UInt8], _ node: Int) -> Bool? {
        node < graph.count ? graph.mayHaveChanged(path, at: node) : nil
    }

    enum MergeBase: Equatable {
        case found(Int)
        /// Unrelated histories.
        case none
    }

    /// The merge base of two commits (git's paint-down-to-common, in generation order), or nil
    /// when there is more than one best common ancestor (libgit2 picks among them) or the file
    /// is damaged.
    func mergeBase(_ one: Int, _ two: Int) -> MergeBase? {
        if one == two { return .found(one) }
        let first: UInt8 = 1, second: UInt8 = 2, stale: UInt8 = 4, result: UInt8 = 8
        var flags: [Int: UInt8] = [one: first, two: second]
        var queue = GenerationQueue()
        queue.push(one, generation(one))
        queue.push(two, generation(two))
        var results: [Int] = []
        // Until every queued commit is stale: reachable from a common ancestor already found.
        while queue.contains(where: { (flags[$0] ?? 0) & stale == 0 }), let commit = queue.pop() {
            var paint = (flags[commit] ?? 0) & (first | second | stale)
            if paint == first | second {
                if (flags[commit] ?? 0) & result == 0 {
                    flags[commit, default: 0] |= result
                    results.append(commit)
                }
                paint |= stale
            }
            guard let parents = parents(commit) else { return nil }
            for parent in parents where (flags[parent] ?? 0) & paint != paint {
                flags[parent, default: 0] |= paint
                queue.push(parent, generation(parent))
            }
        }
        let best = results.filter { (flags[$0] ?? 0) & stale == 0 }
        switch best.count {
        case 0: return results.isEmpty ? MergeBase.none : nil
        case 1: return .found(best[0])
        default: return nil
        }
    }

    /// Commits reachable from `tip` and not from `hidden` (`git rev-list tip ^hidden`), oldest
    /// first (by generation); nil when the file is damaged.
    func commits(from tip: Int, excluding hidden: Int) -> [Int]? {
        let wanted: UInt8 = 1, excluded: UInt8 = 2
        var flags: [Int: UInt8] = [tip: wanted]
        flags[hidden, default: 0] |= excluded
        var queue = GenerationQueue()
        queue.push(tip, generation(tip))
        if hidden != tip { queue.push(hidden, generation(hidden)) }
        var result: [Int] = []
        var popped = Set<Int>()
        // A commit's flags are final when it is popped: all its children come first.
        while queue.contains(where: { (flags[$0] ?? 0) & excluded == 0 }), let commit = queue.pop() {
            guard popped.insert(commit).inserted else { continue }
            let mark = flags[commit] ?? 0
            if mark & excluded == 0 { result.append(commit) }
            guard let parents = parents(commit) else { return nil }
            let paint = mark & excluded != 0 ? excluded : wanted
            for parent in parents where (flags[parent] ?? 0) & paint == 0 {
                flags[parent, default: 0] |= paint
                queue.push(parent, generation(parent))
            }
        }
        return result.reversed()
    }
}

/// A max-heap of nodes by generation (ties: the higher node first, any fixed order will do).
struct GenerationQueue {
    private var items: [(generation: UInt64, node: Int)] = []

    func contains(where predicate: (Int) -> Bool) -> Bool { items.contains { predicate($0.node) } }

    private static func before(_ a: (generation: UInt64, node: Int), _ b: (generation: UInt64, node: Int)) -> Bool {
        a.generation != b.generation ? a.generation > b.generation : a.node > b.node
    }

    mutating func push(_ node: Int, _ generation: UInt64) {
        items.append((generation, node))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        let top = items[0].node
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count, Self.before(items[left], items[best]) { best = left }
                if right < items.count, Self.before(items[right], items[best]) { best = right }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
