import FoundationEssentials
import SessionKit
import Support

/// Finds the workspace for `--repo` (or the current folder, nil): `Workspace.locate` with a finder.
public typealias WorkspaceLocator = (_ repo: String?) throws(PPDSError) -> Workspace

/// Which session a verb on one session acts on, for both executables (the full program's
/// `CLI.target`, and the front's `update` and `path`).
public enum SessionTargeting {
    /// The store, repository and issue a verb on one session acts on. Outside any repository
    /// (no `repo`), the issue must name exactly one session among every repository's: then the
    /// store is scoped to that session's repository; with two or more, the verb refuses and
    /// lists them, since acting on the first file found would change a session nobody named.
    public static func target(_ given: IssueNumber?, repo: String?, locate: WorkspaceLocator) throws(PPDSError) -> (SessionStore, Workspace?, IssueNumber) {
        let (store, workspace) = try scope(repo, locate: locate)
        let issue = try self.issue(given, store: store)
        guard workspace == nil, store.repo == nil else { return (store, workspace, issue) }
        let matches = store.list().sessions.filter { $0.issue == issue }
        if matches.count > 1 {
            let candidates = matches.map { "  \($0.repo ?? "?")  (worktree \($0.worktree), \($0.status.fileValue))" }.joined(separator: "\n")
            throw PPDSError.refused("\(issue.tag) names \(matches.count) sessions, one in each of these repositories:\n\(candidates)\nrun the command inside one of them, or pass --repo <repository>")
        }
        if let only = matches.first, let repo = only.repo { return (store.scoped(to: repo), nil, issue) }
        return (store, nil, issue)
    }

    /// The sessions a command acts on: those of `repo`, or of the repository around the
    /// current folder; outside any repository, the spec's layout alone.
    public static func scope(_ repo: String?, locate: WorkspaceLocator) throws(PPDSError) -> (SessionStore, Workspace?) {
        let workspace: Workspace? = repo != nil ? try locate(repo) : try? locate(nil)
        return (workspace?.store ?? SessionStore(home: SessionStore.defaultHome()), workspace)
    }

    /// The named issue, or the session whose worktree holds the current folder.
    public static func issue(_ given: IssueNumber?, store: SessionStore) throws(PPDSError) -> IssueNumber {
        if let given { return given }
        let here = PlainFileCalls.currentFolder()
        guard PlainFileCalls.currentFolderIsUTF8() else { throw Workspace.notUTF8(here) }
        return try SessionChanges.inferIssue(from: here, in: store)
    }
}
