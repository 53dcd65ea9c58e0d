import Config
import GitKit
import SessionKit
import Support

/// Which sessions claim which worktree folders and branches. Folders compare by identity
/// (device and inode) when they exist, so a claim made through a symlink, a bind mount or
/// another spelling of the path still counts.
package struct Claims: Sendable {
    private var byFolder: [String: Set<IssueNumber>] = [:]
    private var byBranch: [String: Set<IssueNumber>] = [:]

    /// `all`: every readable session file (of any repository); `owned`: this repository's,
    /// whose branch names share this repository's namespace.
    package init(_ all: [Session], owned: [Session]) {
        for session in all {
            byFolder[Claims.key(session.worktree), default: []].insert(session.issue)
        }
        for session in owned {
            byBranch[session.branch, default: []].insert(session.issue)
        }
    }

    static func key(_ path: String) -> String {
        FileIdentity(path: path).map { "identity:\($0)" } ?? "path:" + canonicalPath(path)
    }

    /// Sessions that claim the folder at `path`.
    package func claimants(ofFolder path: String) -> Set<IssueNumber> {
        byFolder[Claims.key(path)] ?? []
    }

    /// Sessions other than `session` that claim its folder or its branch.
    package func otherClaimants(of session: Session) -> [IssueNumber] {
        let others = claimants(ofFolder: session.worktree).union(byBranch[session.branch] ?? [])
        return others.subtracting([session.issue]).sorted()
    }
}
