import Foundation
import Config
import GitKit
import SessionKit
import Support

/// Changes to one session's file: update, guide, pause, resume, ship, cancel. One locked
/// read-modify-write each; the transition rules live in `Session.applying`.
public enum SessionChanges {
    public static func apply(_ change: SessionChange, to issue: IssueNumber, in store: SessionStore,
                             now: Date = Date()) throws(PPDSError) -> Session {
        do {
            return try store.modify(issue) { try $0.applying(change, at: now) }
        } catch {
            throw PPDSError.from(error)
        }
    }

    /// The issue whose session worktree contains `directory`, for commands whose issue is optional.
    public static func inferIssue(from directory: String, in store: SessionStore) throws(PPDSError) -> IssueNumber {
        let here = canonicalPath(directory)
        let owner = store.list().sessions.first { session in
            path(here, isInside: canonicalPath(session.worktree))
        }
        guard let owner else {
            throw PPDSError.usage("no issue given, and \(here) is not inside any session's worktree; name the issue")
        }
        return owner.issue
    }

    /// A PR URL must be an http(s) URL with a host and a path.
    public static func validatePRURL(_ text: String) throws(PPDSError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.path.count > 1, !text.contains(where: \.isWhitespace) else {
            throw PPDSError.usage("'\(text)' is not a pull request URL (expected https://host/owner/repo/pull/N)")
        }
    }
}
