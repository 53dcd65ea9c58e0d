import CGit2
import Support

/// libgit2's global state. `git_libgit2_init` is reference-counted; ppds calls it once
/// and never shuts down, because wrapper objects may still be freed later.
enum Libgit2 {
    static let ready: Bool = {
        git_libgit2_init()
        // Extensions git itself writes that 1.5.1 refuses by default. ppds reads refs,
        // worktrees and trees; it ignores per-worktree config (documented in the README).
        let names = ["worktreeconfig"]
        var cStrings = names.map { strdup($0) }
        cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                _ = ppds_git_set_extensions($0, buffer.count)
            }
        }
        cStrings.forEach { free($0) }
        // Root trees of real repositories are larger than the 4 KiB libgit2 caches by default;
        // the merge ladder reads the same trees for every branch.
        _ = ppds_git_set_cache_object_limit(GIT_OBJECT_TREE, 1 << 20)
        _ = ppds_git_set_cache_object_limit(GIT_OBJECT_COMMIT, 64 << 10)
        // libgit2 re-hashes every object it reads to check its id: a third of a long-history
        // merge check went there. git's revision walks do not (fsck and index-pack do), and a
        // damaged object still fails zlib's own checksum when it is inflated.
        _ = ppds_git_set_strict_hash_verification(0)
        return true
    }()

    static func ensure() { _ = ready }
}

#if canImport(Glibc)
import Glibc
#endif
