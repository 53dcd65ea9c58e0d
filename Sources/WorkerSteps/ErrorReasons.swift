import SessionKit
import Support

extension PPDSError {
    /// Any lower layer's error, with its kind kept as a reason.
    public static func from(_ error: Error) -> PPDSError {
        switch error {
        case let error as PPDSError: error
        case let error as TransitionError: .conflict(error.message)
        case let error as RegistryError:
            switch error {
            case .missing, .otherRepository: .notFound(error.description)
            case .corrupt: .invalid(error.description)
            case .io: .io(error.description)
            }
        case let error as PPDSErrorConvertible: error.asPPDSError
        case let error as FileSystemError: .io(error.description)
        default: .failed("\(error)")
        }
    }

    /// Runs `body`, turning any error it throws into a `PPDSError` with its reason.
    public static func wrapping<T>(_ body: () throws -> T) throws(PPDSError) -> T {
        do { return try body() } catch { throw from(error) }
    }
}

extension PPDSError.Reason {
    /// The contract's exit code for a failure of this kind: the one place reasons become exit
    /// codes (for both executables: the full program and the front).
    public var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .notFound, .conflict, .refused, .invalid: 2
        case .io, .git, .failed: 1
        }
    }
}

extension PPDSError {
    public var exitCode: Int32 { reason.exitCode }
}
