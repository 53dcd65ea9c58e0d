import Config
import GitKit
import SessionKit
import Support

/// Linked and main worktrees by folder: by the path as written first, then canonically
/// (symlinks, `..`), then by identity (device and inode: bind mounts, other mount paths),
/// computing each form only once and only when needed.
public struct WorktreeIndex {
    private let byPath: [String: WorktreeInfo]
    private var byCanonicalPath: [String: WorktreeInfo]?
    private var byIdentity: [FileIdentity: WorktreeInfo]?

    public init(_ worktrees: [WorktreeInfo]) {
        byPath = Dictionary(worktrees.filter { !$0.path.isEmpty }.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public mutating func worktree(at path: String) -> WorktreeInfo? {
        if let found = byPath[path] { return found }
        if byCanonicalPath == nil {
            byCanonicalPath = Dictionary(byPath.values.map { (canonicalPath($0.path), $0) }, uniquingKeysWith: { first, _ in first })
        }
        if let found = byCanonicalPath?[canonicalPath(path)] { return found }
        guard let identity = FileIdentity(path: path) else { return nil }
        if byIdentity == nil {
            byIdentity = Dictionary(byPath.values.compactMap { info in FileIdentity(path: info.path).map { ($0, info) } },
                                    uniquingKeysWith: { first, _ in first })
        }
        return byIdentity?[identity]
    }
}
