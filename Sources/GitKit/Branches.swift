import CGit2
import Foundation
import Support

/// A local branch as it stands now.
public struct Branch: Sendable, Equatable {
    /// Short name, e.g. `fix/auth-bug`.
    public let name: String
    public let target: ObjectID
    /// The upstream's full ref name (`refs/remotes/origin/x`) and tip, when one is set and exists.
    public let upstream: String?
    public let upstreamTarget: ObjectID?
}

extension Repository {
    /// git's own rule for branch names (rejects `-x`, `HEAD`, `a..b`, …).
    public static func isValidBranchName(_ name: String) -> Bool {
        Libgit2.ensure()
        var valid: Int32 = 0
        guard git_branch_name_is_valid(&valid, name) == 0 else { return false }
        return valid == 1
    }

    /// Creates `name` at `commit`; never moves an existing branch.
    @discardableResult
    public func createBranch(_ name: String, at commit: ObjectID) throws(GitError) -> Branch {
        guard Repository.isValidBranchName(name) else {
            throw GitError(.invalidName, "create branch", name, message: "not a valid branch name")
        }
        let target = try lookupCommit(commit)
        do {
            _ = try Handle.make("create branch", name, release: { git_reference_free($0) }) { out in
                withPointer { repo in target.withPointer { git_branch_create(&out, repo, name, $0, 0) } }
            }
        } catch where error.kind == .alreadyExists {
            throw GitError(.alreadyExists, "create branch", name, code: error.code, message: "a branch of that name already exists")
        }
        return Branch(name: name, target: commit, upstream: nil, upstreamTarget: nil)
    }

    private func lookupBranchRef(_ name: String) throws(GitError) -> Handle? {
        var out: OpaquePointer?
        git_error_clear()
        let code = withPointer { git_branch_lookup(&out, $0, name, GIT_BRANCH_LOCAL) }
        if code == GIT_ENOTFOUND.rawValue || code == GIT_EINVALIDSPEC.rawValue { git_error_clear(); return nil }
        if code < 0 { throw GitError.last(code, "look up branch", name) }
        return Handle(out!, release: { git_reference_free($0) })
    }

    /// The local branch `name`, or nil when there is none.
    public func branch(_ name: String) throws(GitError) -> Branch? {
        guard let ref = try lookupBranchRef(name) else { return nil }
        let resolved = try Handle.make("resolve branch", name, release: { git_reference_free($0) }) {
            out in ref.withPointer { git_reference_resolve(&out, $0) }
        }
        let target = resolved.withPointer { ObjectID(git_reference_target($0).pointee) }
        var upstreamName: String?
        var upstreamTarget: ObjectID?
        var up: OpaquePointer?
        git_error_clear()
        let code = ref.withPointer { git_branch_upstream(&up, $0) }
        if code == 0, let up {
            let upstream = Handle(up, release: { git_reference_free($0) })
            upstream.withPointer { upstream in
                upstreamName = String(cString: git_reference_name(upstream))
                if let oid = git_reference_target(upstream) { upstreamTarget = ObjectID(oid.pointee) }
            }
        } else if code != GIT_ENOTFOUND.rawValue && code < 0 {
            // An upstream configured but unusable (remote branch deleted): treat as none.
            git_error_clear()
        } else {
            git_error_clear()
        }
        return Branch(name: name, target: target, upstream: upstreamName, upstreamTarget: upstreamTarget)
    }

    /// All local branch names.
    public func branchNames() throws(GitError) -> [String] { try branchNames(GIT_BRANCH_LOCAL) }

    /// All remote-tracking branch names (`origin/main`), without symbolic ones like `origin/HEAD`.
    public func remoteBranchNames() throws(GitError) -> [String] { try branchNames(GIT_BRANCH_REMOTE) }

    private func branchNames(_ kind: git_branch_t) throws(GitError) -> [String] {
        let iterator = try Handle.make("list branches", commonDir, release: { git_branch_iterator_free($0) }) {
            out in withPointer { git_branch_iterator_new(&out, $0, kind) }
        }
        var names: [String] = []
        var ref: OpaquePointer?
        var type = kind
        while iterator.withPointer({ git_branch_next(&ref, &type, $0) }) == 0, let ref {
            let owned = Handle(ref, release: { git_reference_free($0) })
            owned.withPointer { owned in
                guard git_reference_type(owned) == GIT_REFERENCE_DIRECT else { return }
                var name: UnsafePointer<CChar>?
                if git_branch_name(&name, owned) == 0, let name { names.append(String(cString: name)) }
            }
        }
        git_error_clear()
        return names
    }

    /// Deletes branch `name` only if it still points at `expected` (compare-and-swap) and
    /// no worktree has it checked out. Its `branch.<name>.*` config goes with it.
    public func deleteBranch(_ name: String, expecting expected: ObjectID) throws(GitError) {
        guard let ref = try lookupBranchRef(name) else {
            throw GitError(.notFound, "delete branch", name, message: "no such branch")
        }
        let target = ref.withPointer { ref -> ObjectID? in
            guard git_reference_type(ref) == GIT_REFERENCE_DIRECT, let oid = git_reference_target(ref) else { return nil }
            return ObjectID(oid.pointee)
        }
        guard let current = target else {
            throw GitError(.precondition, "delete branch", name, message: "the branch is a symbolic ref; not deleting it")
        }
        guard current == expected else {
            throw GitError(.moved, "delete branch", name, message: "it moved from \(expected.short) to \(current.short) since it was checked; kept")
        }
        if let holder = try worktreeHolding(branch: name) {
            throw GitError(.checkedOut, "delete branch", name, message: "it is checked out in \(holder)")
        }
        // git_reference_delete compares against the target it loaded, under the ref lock:
        // a commit that lands after our check makes it fail with GIT_EMODIFIED.
        do {
            try gitCall("delete branch", name) { ref.withPointer { git_reference_delete($0) } }
        } catch where error.kind == .moved {
            throw GitError(.moved, "delete branch", name, code: error.code, message: "it moved while being deleted; kept")
        }
        try removeConfigSection("branch." + name)
    }

    /// Deletes every `<section>.*` variable from the repository's own config.
    func removeConfigSection(_ section: String) throws(GitError) {
        let all = try Handle.make("open config", commonDir, release: { git_config_free($0) }) {
            out in withPointer { git_repository_config(&out, $0) }
        }
        var localOut: OpaquePointer?
        git_error_clear()
        guard all.withPointer({ git_config_open_level(&localOut, $0, GIT_CONFIG_LEVEL_LOCAL) }) == 0, let localOut else {
            git_error_clear(); return
        }
        let local = Handle(localOut, release: { git_config_free($0) })
        let pattern = "^" + ConfigKeyPattern.escape(section) + "\\."
        let iterator = try Handle.make("read config", section, release: { git_config_iterator_free($0) }) {
            out in local.withPointer { git_config_iterator_glob_new(&out, $0, pattern) }
        }
        var names = Set<String>()
        iterator.withPointer { iterator in
            var entry: UnsafeMutablePointer<git_config_entry>?
            while git_config_next(&entry, iterator) == 0, let entry {
                names.insert(String(cString: entry.pointee.name))
            }
        }
        git_error_clear()
        for name in names {
            try gitCall("remove config", name) { local.withPointer { git_config_delete_multivar($0, name, ".*") } }
        }
    }
}

enum ConfigKeyPattern {
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

extension Repository {
    /// How many entries the branch's reflog has (0 when there is none). A branch whose reflog
    /// holds only its creation never had a commit of its own.
    public func reflogEntryCount(branch: String) -> Int {
        var out: OpaquePointer?
        git_error_clear()
        guard withPointer({ git_reflog_read(&out, $0, "refs/heads/" + branch) }) == 0, let out else { git_error_clear(); return 0 }
        let reflog = Handle(out, release: { git_reflog_free($0) })
        return reflog.withPointer { git_reflog_entrycount($0) }
    }
}

extension Repository {
    /// Removes `refs/heads/<branch>.lock`, which a process killed while writing the ref leaves
    /// behind (git and libgit2 then refuse to touch the branch). Only for a caller that knows
    /// no process is writing that branch. Returns whether there was one.
    ///
    /// The name comes from a record on disk: an invalid branch name, or a lock path that would
    /// leave `refs/heads/` (lexically or through a symlinked folder), is refused (false).
    @discardableResult
    public func removeStaleRefLock(branch: String) -> Bool {
        guard Repository.isValidBranchName(branch),
              !branch.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            return false
        }
        let heads = commonDir + "/refs/heads"
        let lock = heads + "/" + branch + ".lock"
        func resolved(_ path: String) -> String? {
            guard let real = realpath(path, nil) else { return nil }
            defer { free(real) }
            return String(cString: real)
        }
        guard let realHeads = resolved(heads), let realFolder = resolved((lock as NSString).deletingLastPathComponent),
              realFolder == realHeads || realFolder.hasPrefix(realHeads + "/") else { return false }
        let target = realFolder + "/" + (lock as NSString).lastPathComponent
        var info = stat()
        guard lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return unlink(target) == 0
    }
}

