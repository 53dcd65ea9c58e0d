#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import SessionKit
import Support

/// Where a command acts: the main repository (found from the current folder or `--repo`)
/// and the session registry under `PPDS_HOME`.
/// Finds the main worktree's folder for a start folder (`repoGiven`: named by `--repo`, not the
/// current folder), or throws the error the command reports.
public typealias MainWorktreeFinder = (_ start: String, _ repoGiven: Bool) throws(PPDSError) -> String

public struct Workspace: Sendable {
    /// The main worktree's folder, canonical.
    public let repoRoot: String
    public let store: SessionStore

    /// `store` is scoped to `repoRoot`: it reads and writes only this repository's sessions.
    public init(repoRoot: String, store: SessionStore) {
        self.repoRoot = repoRoot
        self.store = store.scoped(to: repoRoot)
    }

    /// Finds the main repository from `repo` or the current folder (main worktree, linked
    /// worktree, or any folder inside either), through `finder`: the full program's is
    /// libgit2's discovery (LifecycleCore), the front's `GitDiscovery`.
    public static func locate(repo: String?, home: String? = nil, currentDirectory: String,
                              finder: MainWorktreeFinder) throws(PPDSError) -> Workspace {
        if repo == nil || !(repo ?? "").hasPrefix("/"), !PlainFileCalls.currentFolderIsUTF8() { throw notUTF8(currentDirectory) }
        let start = repo.map { Workspace.absolute($0, from: currentDirectory) } ?? currentDirectory
        guard PlainFileCalls.isFolder(start) else {
            throw PPDSError.refused("\(start): no such folder")
        }
        let workdir = try finder(start, repo != nil)
        let store = SessionStore(home: home ?? SessionStore.defaultHome())
        // A home made by an older ppds (or under a loose umask) is closed on first use.
        var info = stat()
        if lstat(store.home, &info) == 0 { try? PrivateFile.checkFolder(store.home, followingLink: true) }
        return Workspace(repoRoot: canonicalPath(workdir), store: store)
    }

    /// The refusal to act from a folder whose path is not UTF-8 (see `currentFolderIsUTF8`).
    public static func notUTF8(_ folder: String) -> PPDSError {
        PPDSError.refused("\(folder): the current folder's path is not UTF-8, so ppds cannot name it for certain; run it from another folder or pass --repo and the issue")
    }

    public static func absolute(_ path: String, from directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }
}

extension Workspace {
    /// Whether the session belongs to this repository: it names none (files from other tools),
    /// or names the same folder by identity (device and inode), so a repository reached by two
    /// paths (a bind mount, a symlinked home) is one repository.
    public func owns(_ session: Session) -> Bool {
        guard let repo = session.repo else { return true }
        return samePlace(repo, repoRoot)
    }

    /// Refuses a session of another repository: a verb run in one repository never acts on another's.
    public func requireOwns(_ session: Session) throws(PPDSError) {
        guard owns(session) else {
            throw PPDSError.refused("\(session.issue.tag) belongs to \(session.repo ?? "another repository"), not \(repoRoot); run it there or pass --repo")
        }
    }
}

extension Session {
    /// Whether `folder` is the session's worktree or inside it (both canonicalised).
    public func worktreeHolds(_ folder: String) -> Bool {
        path(canonicalPath(folder), isInside: canonicalPath(worktree))
    }
}

/// True when `path` is `folder` or inside it.
public func path(_ path: String, isInside folder: String) -> Bool {
    path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
}
