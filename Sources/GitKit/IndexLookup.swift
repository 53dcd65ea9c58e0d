import CGit2
import Foundation
import Support

extension Repository {
    /// Whether this worktree's index holds `relativePath` (a tracked file). ppds writes files
    /// into worktrees only where they stay untracked and ignored, so it asks first.
    public func indexHolds(_ relativePath: String) throws(GitError) -> Bool {
        guard let workdir else { return false }
        let index = try Handle.make("read index", workdir, release: { git_index_free($0) }) {
            out in withPointer { git_repository_index(&out, $0) }
        }
        git_error_clear()
        defer { git_error_clear() }
        return index.withPointer { index in (0...3).contains { stage in git_index_get_bypath(index, relativePath, Int32(stage)) != nil } }
    }
}
