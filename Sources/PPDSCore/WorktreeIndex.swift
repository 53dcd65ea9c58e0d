import GitKit

/// Linked and main worktrees by folder: by the path as written first, then canonically
/// (symlinks, `..`), computing canonical forms only once and only when needed.
struct WorktreeIndex {
    private let byPath: [String: WorktreeInfo]
    private var byCanonicalPath: [String: WorktreeInfo]?

    init(_ worktrees: [WorktreeInfo]) {
        byPath = Dictionary(worktrees.filter { !$0.path.isEmpty }.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func worktree(at path: String) -> WorktreeInfo? {
        if let found = byPath[path] { return found }
        if byCanonicalPath == nil {
            byCanonicalPath = Dictionary(byPath.values.map { (canonicalPath($0.path), $0) }, uniquingKeysWith: { first, _ in first })
        }
        return byCanonicalPath?[canonicalPath(path)]
    }
}
