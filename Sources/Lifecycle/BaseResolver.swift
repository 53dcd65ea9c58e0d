import Config
import GitKit
import SessionKit
import Support

/// Chooses the base a new branch starts from, and which base a merge check compares with.
public enum BaseResolver {
    /// `--base`, else the configured base, else the remote-tracking default (`origin/HEAD`,
    /// `origin/main`, `origin/master`), else the local default branch. Returns the name and commit.
    public static func resolve(given: String?, config: Config, repository: Repository) throws(PPDSError) -> (name: String, commit: ObjectID) {
        if let name = given ?? config.base {
            do {
                return (name, try repository.resolveCommit(name))
            } catch {
                throw PPDSError.failed("base '\(name)' does not resolve to a commit: \(error.message)")
            }
        }
        for name in defaultCandidates(repository) {
            if let commit = try? repository.resolveCommit(name) { return (name, commit) }
        }
        throw PPDSError.failed("no base found: the repository has no origin/HEAD, origin/main, main or master; pass --base")
    }

    static func defaultCandidates(_ repository: Repository) -> [String] {
        var names: [String] = []
        if let target = repository.symbolicTarget(of: "refs/remotes/origin/HEAD"), target.hasPrefix("refs/remotes/") {
            names.append(String(target.dropFirst("refs/remotes/".count)))
        }
        for remote in ["origin/main", "origin/master"] where repository.referenceExists("refs/remotes/" + remote) {
            names.append(remote)
        }
        for local in ["main", "master"] where repository.referenceExists("refs/heads/" + local) {
            names.append(local)
        }
        if let main = try? repository.worktrees().first, case .branch(let branch) = main.head { names.append(branch) }
        return names
    }
}
