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
        /// The repository is owned by someone else (libgit2's misleading `safe.directory` message).
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
    public let message: String

    public init(_ kind: Kind, _ operation: String, _ subject: String, code: Int32? = nil, message: String) {
        self.kind = kind
        self.operation = operation
        self.subject = subject
        self.code = code
        self.message = message
    }

    public var description: String {
        var text = "\(operation) '\(subject)': \(message)"
        if let code { text += " (libgit2 \(code))" }
        return text
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
        default: kind = message.contains("not owned by current user") ? .notOwned : .libgit2
        }
        return GitError(kind, operation, subject, code: code, message: message)
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
