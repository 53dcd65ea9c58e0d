/// Why a command could not do what was asked: a typed reason and a message naming the file,
/// value or issue. Each edge maps the reason once: the CLI to an exit code
/// (`PPDSError.Reason.exitCode`, in LifecycleCore), the server to an HTTP status (`APIError`).
public struct PPDSError: Error, CustomStringConvertible, Sendable {
    public enum Reason: String, Sendable, CaseIterable {
        /// Bad arguments.
        case usage
        /// No such session, branch or worktree.
        case notFound
        /// The state forbids it: an invalid transition, a paused or terminal session, a name
        /// already taken, a ref that moved.
        case conflict
        /// ppds will not: not a git repository, a safety guard, an untrusted command.
        case refused
        /// A file or value that is needed is malformed: a corrupt session file, a bad config.
        case invalid
        /// The file system failed.
        case io
        /// libgit2 failed.
        case git
        /// The command ran but something failed or was found (a bulk item, a doctor problem).
        case failed
    }

    public let reason: Reason
    public let message: String
    /// A lower layer's own words (libgit2's), for `--verbose` and the JSON; never the message.
    public var detail: String?

    public init(_ reason: Reason, _ message: String, detail: String? = nil) {
        self.reason = reason
        self.message = message
        self.detail = detail
    }

    public var description: String { message }

    public static func usage(_ message: String) -> PPDSError { PPDSError(.usage, message) }
    public static func notFound(_ message: String) -> PPDSError { PPDSError(.notFound, message) }
    public static func conflict(_ message: String) -> PPDSError { PPDSError(.conflict, message) }
    public static func refused(_ message: String) -> PPDSError { PPDSError(.refused, message) }
    public static func invalid(_ message: String) -> PPDSError { PPDSError(.invalid, message) }
    public static func io(_ message: String) -> PPDSError { PPDSError(.io, message) }
    public static func failed(_ message: String) -> PPDSError { PPDSError(.failed, message) }
}

/// An error of a layer below the operations that says which `PPDSError` it is (GitKit's,
/// declared where both are known), so `PPDSError.from` keeps its kind without importing it.
public protocol PPDSErrorConvertible: Error {
    var asPPDSError: PPDSError { get }
}
