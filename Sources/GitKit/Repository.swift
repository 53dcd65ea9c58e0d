import CGit2
import Foundation
import Support

/// An open repository: owns one `git_repository`. Not thread-safe: use one per thread.
public final class Repository {
    private let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_repository_free(pointer) }

    /// Lends the `git_repository` pointer to `body`, keeping this repository alive until
    /// `body` returns (the same rule as `Handle.withPointer`; see Handle.swift).
    func withPointer<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        try withExtendedLifetime(self) { () throws(E) -> T in try body(pointer) }
    }

    /// Opens the repository at exactly `path` (a working folder or a `.git` folder).
    public static func open(at path: String) throws(GitError) -> Repository {
        Libgit2.ensure()
        var out: OpaquePointer?
        do {
            try gitCall("open repository", path) { git_repository_open_ext(&out, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) }
        } catch {
            throw Repository.explain(error, path)
        }
        return Repository(owning: out!)
    }

    /// Finds the repository that contains `path`: the main worktree, a linked worktree,
    /// or any folder inside either.
    public static func discover(from path: String) throws(GitError) -> Repository {
        Libgit2.ensure()
        var out: OpaquePointer?
        do {
            try gitCall("find repository", path) { git_repository_open_ext(&out, path, 0, nil) }
        } catch {
            throw Repository.explain(error, path)
        }
        return Repository(owning: out!)
    }

    private static func explain(_ error: GitError, _ path: String) -> GitError {
        switch error.kind {
        case .notFound:
            return GitError(.notARepository, error.operation, path, code: error.code,
                            message: "not a git repository (or any parent folder)")
        case .notOwned:
            return GitError(.notOwned, error.operation, path, code: error.code,
                            message: "the repository is owned by another user; libgit2 1.5.1 refuses it and does not honour safe.directory=*. Run ppds as the owner.")
        default:
            return error
        }
    }

    /// The main repository. From a linked worktree this opens the common dir's owner.
    public func mainRepository() throws(GitError) -> Repository {
        guard isWorktree else { return self }
        return try Repository.open(at: commonDir)
    }

    /// True when this handle was opened through a linked worktree.
    public var isWorktree: Bool { withPointer { git_repository_is_worktree($0) == 1 } }
    public var isBare: Bool { withPointer { git_repository_is_bare($0) == 1 } }

    /// The working folder, without a trailing slash; nil for a bare repository.
    public var workdir: String? {
        withPointer { repo in
            guard let cString = git_repository_workdir(repo) else { return nil }
            return Paths.trimmingSlash(String(cString: cString))
        }
    }

    /// This handle's git folder (`.git` or `.git/worktrees/<name>`), without a trailing slash.
    public var gitDir: String { Paths.trimmingSlash(withPointer { String(cString: git_repository_path($0)) }) }

    /// The common git folder shared by all worktrees, without a trailing slash.
    public var commonDir: String { Paths.trimmingSlash(withPointer { String(cString: git_repository_commondir($0)) }) }

    /// The folder that holds linked worktrees' admin entries.
    public var worktreesAdminDir: String { commonDir + "/worktrees" }
}


extension Repository {
    /// True when HEAD names a branch that has no commit yet (a new repository).
    public var isHeadUnborn: Bool { withPointer { git_repository_head_unborn($0) == 1 } }

    /// What this handle's worktree has checked out.
    public var currentHead: WorktreeHead {
        Repository.readHead(at: gitDir + "/HEAD")
    }
}
