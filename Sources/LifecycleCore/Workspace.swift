import Foundation
import GitKit
import SessionKit
import Support

@_exported import WorkerSteps

extension Workspace {
    /// Finds the main repository from `repo` or the current folder with libgit2's discovery.
    public static func locate(repo: String?, home: String? = nil,
                              currentDirectory: String = FileManager.default.currentDirectoryPath) throws(PPDSError) -> Workspace {
        try locate(repo: repo, home: home, currentDirectory: currentDirectory, finder: libgit2MainWorktree)
    }

    /// libgit2's discovery (`git_repository_open_ext`, then the common dir's owner).
    public static func libgit2MainWorktree(_ start: String, repoGiven: Bool) throws(PPDSError) -> String {
        do {
            let found = try Repository.discover(from: start)
            let main = try found.mainRepository()
            guard let workdir = main.workdir else {
                throw PPDSError.refused("\(start): the repository is bare; ppds needs a main worktree")
            }
            return workdir
        } catch let error as GitError where error.kind == .notARepository && !repoGiven {
            throw PPDSError.refused("\(start): \(error.message); run it inside a repository or pass --repo <folder> ('ppds status --all-repos' shows every repository's sessions)")
        } catch let error as GitError {
            throw PPDSError.refused("\(start): \(error.message)")
        } catch {
            throw PPDSError.from(error)
        }
    }

    /// A fresh handle on the main repository. libgit2 handles are per thread: open one per task.
    public func openRepository() throws(PPDSError) -> Repository {
        try PPDSError.wrapping { try Repository.open(at: repoRoot) }
    }

    /// Runs `body` holding a lock named for this repository's identity (not its path, so two
    /// paths to one repository share it), across processes.
    public func withRepositoryLock<T>(_ name: String, _ body: () throws(PPDSError) -> T) throws(PPDSError) -> T {
        let identity = FileIdentity(path: repoRoot + "/.git").map(\.description)
            ?? String(canonicalPath(repoRoot).utf8.reduce(5381) { ($0 &* 33) &+ UInt64($1) })
        do {
            return try store.withNamedLock("\(name)-\(identity)") { try body() }
        } catch {
            throw PPDSError.from(error)
        }
    }
}
