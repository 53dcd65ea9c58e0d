import CGit2
import Foundation
#if canImport(Glibc)
import Glibc
import Support
#endif

extension Repository {
    /// Whether `name` can be a worktree admin name: one path component of plain characters.
    public static func isValidWorktreeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 200, !name.hasPrefix("."), !name.hasSuffix(".lock") else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
    }

    /// Adds a linked worktree at `path` with the existing local branch `branch` checked out.
    ///
    /// The files are exactly those `git worktree add` writes (bytes, modes, symlink targets,
    /// index). ppds writes them itself when it can (`CheckoutPlan`, `DirectCheckout`); a checkout
    /// that needs what only git can do (a smudge or process filter, working-tree-encoding, ...)
    /// goes to `external` after its `prepare` agrees, or is refused before anything is created
    /// when there is no `external`.
    ///
    /// libgit2 1.5.1 neither checks its preconditions well nor cleans up after a failure, so
    /// this checks them all first (the name is one component and free, the target does not
    /// exist, its parent does, the branch exists and no worktree holds it, stale entries
    /// included) and removes everything the call created when it fails.
    @discardableResult
    public func addWorktree(name: String, path: String, branch: String, external: (any ExternalCheckout)? = nil) throws(GitError) -> WorktreeInfo {
        let operation = "add worktree"
        guard Repository.isValidWorktreeName(name) else {
            throw GitError(.invalidName, operation, name, message: "a worktree name must be one path component of letters, digits, '-', '_' or '.'")
        }
        guard path.hasPrefix("/") else {
            throw GitError(.precondition, operation, path, message: "the worktree path must be absolute")
        }
        let admin = worktreesAdminDir + "/" + name
        let files = FileManager.default
        guard !files.fileExists(atPath: admin) else {
            throw GitError(.alreadyExists, operation, name, message: "a worktree admin entry of that name exists (\(admin))")
        }
        var isFolder: ObjCBool = false
        let parent = (path as NSString).deletingLastPathComponent
        guard files.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            throw GitError(.precondition, operation, path, message: "the parent folder \(parent) does not exist")
        }
        guard !files.fileExists(atPath: path) && (try? files.destinationOfSymbolicLink(atPath: path)) == nil else {
            throw GitError(.alreadyExists, operation, path, message: "the target path already exists")
        }
        guard try self.branch(branch) != nil else {
            throw GitError(.notFound, operation, branch, message: "no such local branch")
        }
        if let holder = try worktreeHolding(branch: branch) {
            throw GitError(.checkedOut, operation, branch, message: "the branch is already checked out in \(holder)")
        }

        // libgit2 makes `.git/worktrees` with a plain mkdir that fails when a parallel add made it
        // first ("directory exists"): make it beforehand, as git would.
        do {
            try files.createDirectory(atPath: worktreesAdminDir, withIntermediateDirectories: true)
        } catch {
            throw GitError(.precondition, operation, worktreesAdminDir, message: "cannot create the folder: \(error.localizedDescription)")
        }
        try addCleaningUp(name: name, path: path, branch: branch, external: external)
        guard let info = worktree(named: name) else {
            throw GitError(.precondition, operation, name, message: "the worktree was created but cannot be read back")
        }
        return info
    }

    /// Calls libgit2 and, when it fails, removes the admin entry and target folder if the
    /// call created them (1.5.1 leaves them behind).
    func addCleaningUp(name: String, path: String, branch: String, external: (any ExternalCheckout)? = nil) throws(GitError) {
        let files = FileManager.default
        let admin = worktreesAdminDir + "/" + name
        let adminExisted = files.fileExists(atPath: admin)
        let pathExisted = files.fileExists(atPath: path)
        // Decided before anything is created, so a refusal leaves nothing behind.
        var ref: OpaquePointer?
        try gitCall("add worktree", branch) { withPointer { git_branch_lookup(&ref, $0, branch, GIT_BRANCH_LOCAL) } }
        let branchRef = Handle(ref!, release: { git_reference_free($0) })
        let tip = branchRef.withPointer { ObjectID(git_reference_target($0).pointee) }
        let plan = try CheckoutPlan.make(self, commit: tip, jobs: Repository.checkoutJobs)
        if case .git(let request) = plan {
            guard let external else {
                throw GitError(.precondition, "add worktree", path,
                               message: "only git can write this checkout exactly (\(request.summary)); nothing was created")
            }
            try external.prepare(request)
        }
        do {
            try performAdd(name: name, path: path, branchRef: branchRef, plan: plan, external: external)
        } catch {
            if !adminExisted { try? removeFolder(admin) }
            // What the failed add made, removed the careful way (one file system, no symlinks followed).
            if !pathExisted { try? removeFolder(path) }
            throw error
        }
    }

    private func performAdd(name: String, path: String, branchRef: Handle, plan: CheckoutPlan, external: (any ExternalCheckout)?) throws(GitError) {
        // libgit2 only makes the admin entry, the .git file and HEAD; its own checkout is never
        // used (it misses attributes of files that sort before .gitattributes, environment
        // config, working-tree-encoding and smudge filters).
        var options = git_worktree_add_options()
        try gitCall("add worktree", path) { git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)) }
        options.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE.rawValue
        // git_worktree_add asks git_branch_is_checked_out, which answers "checked out" for every
        // branch while another add's admin entry is half-written: adds take turns, across threads
        // and processes (an flock on `.git/worktrees`). With the direct checkout this is short.
        try withAdminFolderLock { () throws(GitError) in
            var out: OpaquePointer?
            try gitCall("add worktree", path) {
                // options.ref borrows the branch ref's pointer: set it only while the ref is lent.
                branchRef.withPointer { ref in
                    withPointer { repo in
                        options.ref = ref
                        defer { options.ref = nil }
                        return git_worktree_add(&out, repo, name, path, &options)
                    }
                }
            }
            if let out { git_worktree_free(out) }
        }
        try copyWorktreeConfig(to: worktreesAdminDir + "/" + name)
        switch plan {
        case .direct(let files, let symlinks):
            try DirectCheckout.populate(files, symlinks: symlinks, into: path, commonDir: commonDir, jobs: Repository.checkoutJobs)
        case .git(let request):
            guard let external else { return }
            try external.checkout(request, worktree: path, gitDir: worktreesAdminDir + "/" + name)
        }
    }

    /// With extensions.worktreeConfig, `git worktree add` gives the new worktree a copy of the
    /// current worktree's config.worktree without core.bare=true and core.worktree; so does this.
    func copyWorktreeConfig(to adminDir: String) throws(GitError) {
        guard CheckoutConfig.worktreeConfigEnabled(commonDir: commonDir) else { return }
        let source = gitDir + "/config.worktree", target = adminDir + "/config.worktree"
        guard FileManager.default.fileExists(atPath: source) else { return }
        do {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        } catch {
            throw GitError(.precondition, "add worktree", target, message: "cannot copy \(source): \(error.localizedDescription)")
        }
        let config = try Handle.make("add worktree", target, release: { git_config_free($0) }) { git_config_open_ondisk(&$0, target) }
        // git removes core.bare entries whose value matches "true", and every core.worktree.
        for (key, pattern) in [("core.bare", "true"), ("core.worktree", ".*")] {
            let code = config.withPointer { git_config_delete_multivar($0, key, pattern) }
            if code < 0 && code != GIT_ENOTFOUND.rawValue { throw GitError.last(code, "add worktree", target) }
            git_error_clear()
        }
    }

    /// Every change to `.git/worktrees` (an add, a removal) holds this lock: libgit2 reads the
    /// whole folder to answer "is this branch checked out?", and an entry vanishing mid-read
    /// made it answer yes for a branch nobody had (a parallel recreate failed).
    func withAdminFolderLock(_ body: () throws(GitError) -> Void) throws(GitError) {
        do {
            try FileLock.withLock(worktreesAdminDir, folder: true) { () throws -> Void in try body() }
        } catch let error as GitError {
            throw error
        } catch {
            throw GitError(.precondition, "add worktree", worktreesAdminDir, message: "\(error)")
        }
    }

    /// Threads that write a new worktree's files: the cores, at most 4.
    public static let checkoutJobs = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
}

/// Makes a new worktree's files when ppds cannot write them exactly itself (for example by
/// handing the checkout to the git CLI). GitKit never runs git; the lifecycle layer provides this.
public protocol ExternalCheckout: Sendable {
    /// Called before anything is created. Throws to refuse (nothing is created then).
    func prepare(_ request: ExternalCheckoutRequest) throws(GitError)
    /// Fills `worktree` (which holds only its `.git` file) and writes its index, as
    /// `git worktree add` would. `gitDir` is the worktree's admin folder.
    func checkout(_ request: ExternalCheckoutRequest, worktree: String, gitDir: String) throws(GitError)
}
