import Foundation
import Lifecycle
import Support
import Forge

/// A shipped session's PR for people: "PR open · CI 12/12 passing · review approved".
public enum PullRequestText {
    /// One line. `mergedInGit`: git already sees the branch merged (then no fetch is needed).
    public static func describe(_ pr: PullRequestStatus, mergedInGit: Bool = false) -> String {
        switch pr.state {
        case .merged:
            return mergedInGit ? "merged on the forge" : "merged on the forge: run 'ppds prune --fetch'"
        case .closed:
            return "PR closed on the forge without merging"
        case .open, .draft:
            var parts = [pr.state == .draft ? "draft" : "PR open"]
            if let ci = ci(pr) { parts.append(ci) }
            switch pr.review {
            case .approved: parts.append("review approved")
            case .changesRequested: parts.append("changes requested")
            case .reviewRequired: parts.append("waiting for review")
            case .none: break
            }
            return parts.joined(separator: " · ")
        }
    }

    /// The checks in a few words, or nil when there are none.
    public static func ci(_ pr: PullRequestStatus) -> String? {
        let total = pr.checks.count
        switch pr.ci {
        case .none: return nil
        case .passing: return "CI \(total)/\(total) passing"
        case .failing:
            let failed = pr.failedChecks
            let names = failed.prefix(3).map { TerminalText.escaped($0) }.joined(separator: ", ")
            return "CI failing: " + names + (failed.count > 3 ? " and \(failed.count - 3) more" : "")
        case .pending:
            let waiting = pr.checks.filter { $0.outcome == .pending }.count
            return "CI running: \(pr.passedCount)/\(total) passed, \(waiting) pending"
        }
    }

    /// How old the cached state is: " (checked 4 min ago)".
    public static func age(_ pr: PullRequestStatus, now: Date) -> String {
        " (checked \(HumanDuration.describe(now.timeIntervalSince(pr.fetchedAt))) ago)"
    }
}
