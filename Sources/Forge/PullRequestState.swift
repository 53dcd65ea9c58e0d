import Foundation
import SessionKit
import Support

// The shapes read here are those of `gh pr view <url> --json
// state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName`
// (gh's manual, https://cli.github.com/manual/gh_pr_view, lists these JSON fields; their
// values are GitHub's GraphQL ones, https://docs.github.com/en/graphql/reference/enums):
// - `state`: PullRequestState, `OPEN`, `CLOSED` or `MERGED`; `isDraft`: a boolean.
// - `reviewDecision`: PullRequestReviewDecision, `APPROVED`, `CHANGES_REQUESTED` or
//   `REVIEW_REQUIRED`; gh prints `""` when there is none (no review rule).
// - `statusCheckRollup`: an array of the head commit's contexts, each with `__typename`:
//   `CheckRun` {name, workflowName, status (CheckStatusState: QUEUED, IN_PROGRESS,
//   COMPLETED, WAITING, PENDING, REQUESTED), conclusion (CheckConclusionState: SUCCESS,
//   FAILURE, NEUTRAL, SKIPPED, CANCELLED, TIMED_OUT, ACTION_REQUIRED, STARTUP_FAILURE,
//   STALE, or "" while running)}, or `StatusContext` {context, state (StatusState: SUCCESS,
//   FAILURE, ERROR, PENDING, EXPECTED)}.
// - `mergedAt`: an ISO-8601 time or null; `mergeCommit`: {oid} or null; `headRefName`: the branch.

/// The pull request as the forge says it is.
public enum PullRequestState: String, Sendable, Equatable {
    case open, draft, merged, closed
}

/// What the checks on the PR's head say, as one word.
public enum CIState: String, Sendable, Equatable {
    /// Every check finished and none failed.
    case passing
    /// At least one failed (whatever the others do).
    case failing
    /// None failed and some still run or wait.
    case pending
    /// No checks at all.
    case none
}

/// GitHub's review decision.
public enum ReviewDecision: String, Sendable, Equatable {
    case approved, changesRequested, reviewRequired
    /// No review rule, or no review yet where none is required.
    case none
}

/// One check, reduced to what a person acts on.
public struct CheckSummary: Sendable, Equatable {
    public enum Outcome: String, Sendable { case passed, failed, pending, skipped }
    public var name: String
    public var outcome: Outcome

    init?(gh value: JSONValue) {
        guard let object = value.objectValue else { return nil }
        let name = object["name"]?.stringValue ?? object["context"]?.stringValue ?? "check"
        self.name = String(name.prefix(200))
        if object["__typename"]?.stringValue == "StatusContext" || (object["state"] != nil && object["status"] == nil) {
            switch object["state"]?.stringValue?.uppercased() {
            case "SUCCESS": outcome = .passed
            case "FAILURE", "ERROR": outcome = .failed
            default: outcome = .pending
            }
            return
        }
        let status = object["status"]?.stringValue?.uppercased() ?? ""
        let conclusion = object["conclusion"]?.stringValue?.uppercased() ?? ""
        guard status == "COMPLETED" || !conclusion.isEmpty else { outcome = .pending; return }
        switch conclusion {
        case "SUCCESS": outcome = .passed
        case "NEUTRAL", "SKIPPED": outcome = .skipped
        case "": outcome = .pending
        default: outcome = .failed  // FAILURE, CANCELLED, TIMED_OUT, ACTION_REQUIRED, STARTUP_FAILURE, STALE
        }
    }

    public init(name: String, outcome: Outcome) {
        self.name = name
        self.outcome = outcome
    }
}

/// A shipped session's PR as last fetched.
public struct PullRequestStatus: Sendable, Equatable {
    public var url: String
    public var state: PullRequestState
    public var review: ReviewDecision
    public var checks: [CheckSummary]
    public var mergedAt: Date?
    public var mergeCommit: String?
    public var headRefName: String?
    public var fetchedAt: Date

    public init(url: String, state: PullRequestState, review: ReviewDecision = .none, checks: [CheckSummary] = [],
                mergedAt: Date? = nil, mergeCommit: String? = nil, headRefName: String? = nil, fetchedAt: Date) {
        self.url = url
        self.state = state
        self.review = review
        self.checks = checks
        self.mergedAt = mergedAt
        self.mergeCommit = mergeCommit
        self.headRefName = headRefName
        self.fetchedAt = fetchedAt
    }

    /// From gh's object; nil when it is not one.
    public init?(gh value: JSONValue, url: String, fetchedAt: Date) {
        guard let object = value.objectValue, let state = object["state"]?.stringValue?.uppercased() else { return nil }
        self.url = url
        self.fetchedAt = fetchedAt
        let draft = object["isDraft"] == .bool(true)
        switch state {
        case "MERGED": self.state = .merged
        case "CLOSED": self.state = .closed
        case "OPEN": self.state = draft ? .draft : .open
        default: return nil
        }
        switch object["reviewDecision"]?.stringValue?.uppercased() {
        case "APPROVED": review = .approved
        case "CHANGES_REQUESTED": review = .changesRequested
        case "REVIEW_REQUIRED": review = .reviewRequired
        default: review = .none
        }
        checks = (object["statusCheckRollup"]?.arrayValue ?? []).prefix(500).compactMap(CheckSummary.init(gh:))
        mergedAt = object["mergedAt"]?.stringValue.flatMap(Timestamp.parse)
        mergeCommit = object["mergeCommit"]?.objectValue?["oid"]?.stringValue.flatMap { oid in
            oid.count <= 64 && oid.allSatisfy(\.isHexDigit) ? oid : nil
        }
        headRefName = object["headRefName"]?.stringValue.map { String($0.prefix(300)) }
    }

    public var ci: CIState {
        if checks.isEmpty { return .none }
        if checks.contains(where: { $0.outcome == .failed }) { return .failing }
        if checks.contains(where: { $0.outcome == .pending }) { return .pending }
        return .passing
    }

    public var passedCount: Int { checks.filter { $0.outcome == .passed || $0.outcome == .skipped }.count }
    public var failedChecks: [String] { checks.filter { $0.outcome == .failed }.map(\.name) }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "url": .string(url), "state": .string(state.rawValue), "review": .string(review.rawValue),
            "ci": .string(ci.rawValue), "checksTotal": .int(Int64(checks.count)), "checksPassed": .int(Int64(passedCount)),
            "failedChecks": .array(failedChecks.map(JSONValue.string)),
            "checks": .array(checks.map { .object(["name": .string($0.name), "outcome": .string($0.outcome.rawValue)]) }),
            "fetchedAt": .string(Timestamp.format(fetchedAt)),
        ]
        fields["mergedAt"] = mergedAt.map { .string(Timestamp.format($0)) } ?? .null
        fields["mergeCommit"] = mergeCommit.map(JSONValue.string) ?? .null
        fields["headRefName"] = headRefName.map(JSONValue.string) ?? .null
        return .object(fields)
    }

    /// Back from the cache (the JSON above).
    init?(cached value: JSONValue) {
        guard let object = value.objectValue, let url = object["url"]?.stringValue,
              let state = object["state"]?.stringValue.flatMap(PullRequestState.init(rawValue:)),
              let at = object["fetchedAt"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
        self.init(url: url, state: state,
                  review: object["review"]?.stringValue.flatMap(ReviewDecision.init(rawValue:)) ?? .none,
                  checks: (object["checks"]?.arrayValue ?? []).compactMap { item in
                      guard let check = item.objectValue, let name = check["name"]?.stringValue,
                            let outcome = check["outcome"]?.stringValue.flatMap(CheckSummary.Outcome.init(rawValue:)) else { return nil }
                      return CheckSummary(name: name, outcome: outcome)
                  },
                  mergedAt: object["mergedAt"]?.stringValue.flatMap(Timestamp.parse),
                  mergeCommit: object["mergeCommit"]?.stringValue, headRefName: object["headRefName"]?.stringValue,
                  fetchedAt: at)
    }
}
