import GitKit
import SessionKit

/// A failure a command reports, with the contract's exit code.
public struct PPDSError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Int32, Sendable {
        /// Something failed or was found (bulk item, doctor problem, prune item).
        case failed = 1
        /// Refused: invalid transition, paused or terminal session, missing session,
        /// corrupt file that is needed, not a git repository.
        case refused = 2
        /// Bad arguments.
        case usage = 64
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
    public var exitCode: Int32 { kind.rawValue }

    public static func refused(_ message: String) -> PPDSError { PPDSError(.refused, message) }
    public static func failed(_ message: String) -> PPDSError { PPDSError(.failed, message) }
    public static func usage(_ message: String) -> PPDSError { PPDSError(.usage, message) }

    /// Maps any lower-layer error to the contract's codes.
    public static func from(_ error: Error) -> PPDSError {
        switch error {
        case let error as PPDSError: error
        case let error as TransitionError: .refused(error.message)
        case let error as RegistryError: .refused(error.description)
        case let error as GitError: error.kind == .notARepository || error.kind == .notOwned ? .refused(error.description) : .failed(error.description)
        default: .failed("\(error)")
        }
    }
}
