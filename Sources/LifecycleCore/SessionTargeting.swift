import Foundation
import SessionKit
import Support

extension SessionTargeting {
    /// `target` with libgit2's discovery (the full program).
    public static func target(_ given: IssueNumber?, repo: String?) throws(PPDSError) -> (SessionStore, Workspace?, IssueNumber) {
        try target(given, repo: repo, locate: { repo throws(PPDSError) in try Workspace.locate(repo: repo) })
    }

    /// `scope` with libgit2's discovery (the full program).
    public static func scope(_ repo: String?) throws(PPDSError) -> (SessionStore, Workspace?) {
        try scope(repo, locate: { repo throws(PPDSError) in try Workspace.locate(repo: repo) })
    }
}
