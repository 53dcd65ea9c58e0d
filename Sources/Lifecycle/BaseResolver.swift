import Foundation
import Config
import GitKit
import SessionKit
import Support

/// Chooses the base a new branch starts from, and which base a merge check compares with.
public enum BaseResolver {
    /// `--base`, else the configured base, else the remote-tracking default (`origin/HEAD`,
    /// `origin/main`, `origin/master`), else the local default branch. Returns the name and commit.
    public static func resolve(given: String?, config: Config, repository: Repository,
                               currentFolder: String = FileManager.default.currentDirectoryPath) throws(PPDSError) -> (name: String, commit: ObjectID) {
        if repository.isHeadUnborn && repository.sharedRefTips().isEmpty {
            throw PPDSError.refused("the repository has no commits yet; make a first commit, then start work")
        }
        // `HEAD` (or `@`) means the worktree this runs in, not the main one; what is recorded is
        // its branch, or the commit itself when it is detached, never the moving name.
        if let given, given == "HEAD" || given == "@" || given.hasPrefix("HEAD~") || given.hasPrefix("HEAD^") || given.hasPrefix("@~") || given.hasPrefix("@^"),
           let here = try? Repository.discover(from: currentFolder), samePlace(here.commonDir, repository.commonDir) {
            do {
                let commit = try here.resolveCommit(given.hasPrefix("@") ? "HEAD" + given.dropFirst() : given)
                if given == "HEAD" || given == "@", case .branch(let branch) = here.currentHead { return (branch, commit) }
                return (commit.hex, commit)
            } catch {
                throw PPDSError.invalid("base '\(given)' does not resolve to a commit here: \(error.message)")
            }
        }
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

    /// The local default branch (`main`, `master`, or what the main worktree has checked out)
    /// and its upstream, where they exist: work merged locally, or on the forge and fetched,
    /// counts as merged too.
    public static func localDefaults(_ repository: Repository) -> [(name: String, commit: ObjectID)] {
        var names = ["main", "master"].filter { repository.referenceExists("refs/heads/" + $0) }
        if names.isEmpty, let main = try? repository.worktrees().first, case .branch(let branch) = main.head { names.append(branch) }
        guard let name = names.first, let branch = try? repository.branch(name) else { return [] }
        var found = [(name, branch.target)]
        if let upstream = branch.upstream, let target = branch.upstreamTarget {
            found.append((upstream.hasPrefix("refs/remotes/") ? String(upstream.dropFirst("refs/remotes/".count)) : upstream, target))
        }
        return found
    }

    /// Whether `name` names a branch, a remote-tracking branch or a tag (as git would read it),
    /// not a commit id or a revision expression: only a ref that moves with merges is evidence.
    public static func namesARef(_ name: String, _ repository: Repository) -> Bool {
        let full = name.hasPrefix("refs/") ? [name] : ["refs/heads/" + name, "refs/remotes/" + name, "refs/tags/" + name]
        return full.contains { repository.referenceExists($0) }
    }

    /// How long ago the repository last fetched (FETCH_HEAD's age), for a remote-tracking base.
    /// With `ref` (`origin/main`), also when that ref last moved (its reflog or file): a clone
    /// or a push updates it without writing FETCH_HEAD, and is not "never fetched".
    public static func lastFetchAge(_ repository: Repository, ref: String? = nil, now: Date = Date()) -> TimeInterval? {
        var files = [repository.commonDir + "/FETCH_HEAD"]
        if let ref {
            files += [repository.commonDir + "/logs/refs/remotes/" + ref, repository.commonDir + "/refs/remotes/" + ref]
            // A clone packs its refs: then packed-refs was written when the ref arrived (or later).
            if !FileManager.default.fileExists(atPath: repository.commonDir + "/refs/remotes/" + ref),
               repository.referenceExists("refs/remotes/" + ref) {
                files.append(repository.commonDir + "/packed-refs")
            }
        }
        let dates = files.compactMap { (try? FileManager.default.attributesOfItem(atPath: $0))?[.modificationDate] as? Date }
        guard let latest = dates.max() else { return nil }
        return now.timeIntervalSince(latest)
    }
}
