import GitKit
import Support

extension GitError: PPDSErrorConvertible {
    public var asPPDSError: PPDSError {
        PPDSError(PPDSError.reason(of: kind), description, detail: fromLibgit2 ? detail : nil)
    }
}

extension PPDSError {
    static func reason(of kind: GitError.Kind) -> Reason {
        switch kind {
        case .notARepository, .notOwned, .precondition: .refused
        case .notFound: .notFound
        case .alreadyExists, .checkedOut, .dirty, .locked, .moved: .conflict
        case .invalidName: .invalid
        case .libgit2: .git
        }
    }
}
