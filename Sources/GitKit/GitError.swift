import CGit2
import Support

/// A failure in the git layer: what was being done, to which path or ref, and why.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A libgit2 call failed; `code` and `message` are libgit2's.
        case libgit2
        case notFound
        case alreadyExists
        case invalidName
        case notARepository
        /// The repository is owned by someone else (`GIT_EOWNER`; libgit2's message misleadingly names `safe.directory`).
        case notOwned
        case checkedOut
        case dirty
        case locked
        /// A ref no longer points where it was checked (compare-and-swap lost).
        case moved
        case precondition
    }

    public let kind: Kind
    /// What was being done, e.g. "create branch".
    public let operation: String
    /// The path, ref or name concerned.
    public let subject: String
    /// The libgit2 error code, when libgit2 reported the failure.
    public let code: Int32?
    /// The words as given: libgit2's own when `fromLibgit2`, which only `detail` shows.
    public let rawMessage: String
    /// Why, in the product's words: libgit2's text is said by what it means.
    public var message: String {
        fromLibgit2 ? GitError.plainWords(for: kind, libgit2Message: rawMessage) : rawMessage
    }

    public init(_ kind: Kind, _ operation: String, _ subject: String, code: Int32? = nil, message: String) {
        self.kind = kind
        self.operation = operation
        self.subject = subject
        self.code = code
        self.rawMessage = message
    }

    /// True when `message` is libgit2's own text (`GitError.last`), which never reaches a user.
    public var fromLibgit2 = false

    /// What a person reads: the product's words. libgit2's text stays in `detail`.
    public var description: String {
        guard fromLibgit2 else { return "\(operation) '\(subject)': \(rawMessage)" }
        return "could not \(operation) '\(subject)': \(message)"
    }

    /// The operation, subject and libgit2's words and code: for `--verbose` and the JSON.
    public var detail: String {
        var text = "\(operation) '\(subject)': \(rawMessage)"
        if let code { text += " (libgit2 \(code))" }
        return text
    }

    /// libgit2's message said as the product says it: known messages by what they mean, the
    /// rest by the error's kind.
    static func plainWords(for kind: Kind, libgit2Message message: String) -> String {
        let known: [(String, String)] = [
            ("already checked out", "the branch is checked out in another worktree"),
            ("fetch first", "the remote branch has commits this one lacks: fetch, then merge or rebase"),
            ("non-fast-forward", "the remote branch has commits this one lacks: fetch, then merge or rebase"),
            ("unsupported URL protocol", "the remote's URL cannot be reached (a path that does not exist, or a protocol libgit2 lacks)"),
            ("does not match the type", "it names an object that is not a commit"),
            ("not a commit", "it names an object that is not a commit"),
            ("could not find repository", "there is no git repository there"),
            ("No such file or directory", "a file or folder it needs does not exist"),
            ("Permission denied", "permission denied"),
            ("No space left", "the disk is full"),
            ("failed to lock", "another git process holds its lock (a .lock file left by a crash?)"),
            ("unsupported mandatory extension", "the repository uses a git feature that libgit2 1.5.1 cannot read"),
            ("corrupt", "git's files there are damaged"),
        ]
        if let words = known.first(where: { message.localizedCaseInsensitiveContains($0.0) })?.1 { return words }
        switch kind {
        case .notFound: return "it does not exist"
        case .alreadyExists: return "it already exists"
        case .invalidName: return "it is not a valid name"
        case .locked: return "another git process holds its lock (a .lock file left by a crash?)"
        case .moved: return "it changed meanwhile; run the command again"
        case .notOwned: return "the repository belongs to another user (see git's safe.directory)"
        default: return "git's library failed (run with --verbose for its own words)"
        }
    }

    /// Reads libgit2's per-thread last error right after a failing call.
    static func last(_ code: Int32, _ operation: String, _ subject: String) -> GitError {
        let message: String
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        } else {
            message = "libgit2 error"
        }
        git_error_clear()
        let kind: Kind
        switch code {
        case GIT_ENOTFOUND.rawValue: kind = .notFound
        case GIT_EEXISTS.rawValue: kind = .alreadyExists
        case GIT_EINVALIDSPEC.rawValue: kind = .invalidName
        case GIT_ELOCKED.rawValue: kind = .locked
        case GIT_EMODIFIED.rawValue: kind = .moved
        // 1.5.1's owner validation returns its own code (repository.c, validate_ownership).
        case GIT_EOWNER.rawValue: kind = .notOwned
        default: kind = .libgit2
        }
        var error = GitError(kind, operation, subject, code: code, message: message)
        error.fromLibgit2 = true
        return error
    }
}

/// Calls a libgit2 function, throwing a typed error on a negative return.
@discardableResult
func gitCall(_ operation: String, _ subject: String, _ call: () -> Int32) throws(GitError) -> Int32 {
    git_error_clear()
    let code = call()
    if code < 0 { throw GitError.last(code, operation, subject) }
    return code
}
