import FoundationEssentials
import SessionKit
import Support

/// Changes to one session's file: update, guide, pause, resume, ship, cancel. One locked
/// read-modify-write each; the transition rules live in `Session.applying`. Here, what the front
/// needs too; LifecycleCore adds the copies of other machines' sessions (`apply`).
public enum SessionChanges {
    /// Applies `change` to this machine's file under the session's lock. With `workspace`, the
    /// session must belong to that repository (checked on the file as read, inside the lock): a
    /// verb run in one repository never changes another's session.
    public static func applyLocal(_ change: SessionChange, to issue: IssueNumber, in store: SessionStore,
                                  workspace: Workspace? = nil, now: Date? = nil) throws(PPDSError) -> Session {
        try PPDSError.wrapping {
            try store.modify(issue) { current in
                try workspace?.requireOwns(current)
                // The time is read under the lock, so concurrent changes are stamped in the
                // order they were written.
                return try current.applying(change, at: now ?? Date())
            }
        }
    }

    /// A worker's update as the CLI and the server both take it, validated once: stuck needs
    /// a reason, reason/context/options go only with stuck, a PR must be a URL.
    public static func update(status raw: String, reason: String?, context: String?, options: [String],
                              pr: String?, force: Bool) throws(PPDSError) -> SessionChange {
        guard let status = SessionStatus(userValue: raw) else {
            throw PPDSError.usage("unknown status '\(raw)'; use one of: \(SessionStatus.canonical.map(\.fileValue).joined(separator: ", "))")
        }
        if status == .stuck, (reason ?? "").trimmingWhitespaceAndNewlines().isEmpty {
            throw PPDSError.usage("status 'stuck' needs a reason")
        }
        if status != .stuck, reason != nil || context != nil || !options.isEmpty {
            throw PPDSError.usage("a reason, context and options go with status 'stuck'")
        }
        if options.contains(where: { $0.trimmingWhitespaceAndNewlines().isEmpty }) {
            throw PPDSError.usage("an --option is empty; each option is a choice the human can pick by its number")
        }
        if let pr { try validatePRURL(pr) }
        let stuck = status == .stuck ? StuckRequest(reason: reason ?? "", context: context, options: options) : nil
        return .update(status: status, stuck: stuck, pr: pr, force: force)
    }

    /// The issue whose session worktree contains `directory`, for commands whose issue is optional.
    public static func inferIssue(from directory: String, in store: SessionStore) throws(PPDSError) -> IssueNumber {
        let here = canonicalPath(directory)
        // With a scoped store, only that repository's sessions.
        let owner = store.list().sessions.first { session in
            (store.repo.map { repo in session.repo.map { samePlace($0, repo) } ?? true } ?? true)
                && path(here, isInside: canonicalPath(session.worktree))
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
