import Foundation
import SessionKit
import Support
import LifecycleCore

extension ForgeCache {
    /// Every PR last fetched, by URL.
    public func loadPullRequests() -> [String: PullRequestStatus] {
        guard let object = read(pullRequestsFile) else { return [:] }
        var out: [String: PullRequestStatus] = [:]
        for item in object["pullRequests"]?.arrayValue ?? [] {
            if let status = PullRequestStatus(cached: item) { out[status.url] = status }
        }
        return out
    }

    func savePullRequests(_ all: [String: PullRequestStatus]) throws(PPDSError) {
        var document = OrderedJSON()
        document["version"] = .int(1)
        document["pullRequests"] = .array(all.keys.sorted().compactMap { all[$0]?.json })
        try write(document, to: pullRequestsFile)
    }
}

/// What refreshing one session's PR gave.
public struct PullRequestRefreshResult: Sendable {
    public enum Outcome: String, Sendable {
        case refreshed
        /// The forge could not be asked; the cached state (if any) stays.
        case unreachable
        /// gh found no such pull request.
        case missing
    }

    public var issue: IssueNumber
    public var url: String
    public var outcome: Outcome
    public var status: PullRequestStatus?
    public var reason: String?

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["issue": .string(issue.tag), "url": .string(url), "outcome": .string(outcome.rawValue)]
        fields["pr"] = status?.json ?? .null
        fields["reason"] = reason.map(JSONValue.string) ?? .null
        return .object(fields)
    }
}

/// The PR and CI state of shipped sessions, from `gh pr view`. A hint for people: a PR merged
/// on the forge prompts a fetch; it is never evidence for removing anything (prune asks git).
public enum PullRequestRefresh {
    static let fields = "state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName"

    /// This repository's sessions that recorded a PR.
    public static func shipped(_ workspace: Workspace) -> [Session] {
        workspace.store.list().sessions.filter { workspace.owns($0) && $0.pr != nil }
    }

    /// Asks gh about each session's PR (all of them when `issues` is nil) and caches what it
    /// said; one that could not be asked keeps its cached state. Entries of PRs no session
    /// names any more are dropped.
    public static func run(_ workspace: Workspace, issues: Set<IssueNumber>? = nil, now: Date = Date()) -> [PullRequestRefreshResult] {
        let sessions = shipped(workspace).filter { issues?.contains($0.issue) ?? true }
        let root = workspace.repoRoot
        // A few at once: each is a round trip to the forge.
        let results = parallelMap(sessions, jobs: 4) { session in refresh(session, repoRoot: root, now: now) }
        var fresh: [String: PullRequestStatus] = [:]
        for result in results { if let status = result.status { fresh[result.url] = status } }
        let cache = ForgeCache(workspace)
        let named = Set(shipped(workspace).compactMap(\.pr))
        // Under a lock: watch, serve and `status --prs` may refresh at once.
        _ = try? workspace.store.withNamedLock("forge-pull-requests") {
            var all = cache.loadPullRequests().filter { named.contains($0.key) }
            all.merge(fresh) { _, new in new }
            try cache.savePullRequests(all)
        }
        return results
    }

    static func refresh(_ session: Session, repoRoot: String, now: Date) -> PullRequestRefreshResult {
        let url = session.pr ?? ""
        var result = PullRequestRefreshResult(issue: session.issue, url: url, outcome: .unreachable)
        // A URL is an argument of gh: only a real web address, never something gh could read as an option.
        guard (try? SessionChanges.validatePRURL(url)) != nil else {
            result.reason = "the recorded PR '\(url)' is not a pull request URL"
            return result
        }
        switch GitHubCLI.run(["pr", "view", url, "--json", fields], in: repoRoot) {
        case .json(let value):
            if let status = PullRequestStatus(gh: value, url: url, fetchedAt: now) {
                result.outcome = .refreshed
                result.status = status
            } else {
                result.reason = "gh pr view printed JSON that is not a pull request"
            }
        case .missing(let reason):
            result.outcome = .missing
            result.reason = reason
        case .unreachable(let reason):
            result.reason = reason
        }
        return result
    }

    /// The cached state of `session`'s PR, when its recorded URL was fetched.
    public static func cached(_ session: Session, in all: [String: PullRequestStatus]) -> PullRequestStatus? {
        session.pr.flatMap { all[$0] }
    }
}

/// The "Review PRs" order: what waits for a human, the quickest to act on first.
public enum ReviewQueue {
    /// 0: approved and green (merge it); 1: waiting for review; 2: changes requested or CI
    /// failing (back to the worker); 3: not known yet; 4: merged or closed on the forge.
    public static func rank(_ pr: PullRequestStatus?) -> Int {
        guard let pr else { return 3 }
        switch pr.state {
        case .merged, .closed: return 4
        case .open, .draft: break
        }
        if pr.ci == .failing || pr.review == .changesRequested { return 2 }
        if pr.state == .open, pr.review == .approved, pr.ci == .passing || pr.ci == .none { return 0 }
        return 1
    }

    /// `items` ordered by rank, then oldest first by `since`.
    public static func ordered<T>(_ items: [T], pr: (T) -> PullRequestStatus?, since: (T) -> Date) -> [T] {
        items.enumerated().sorted { a, b in
            let ra = rank(pr(a.element)), rb = rank(pr(b.element))
            if ra != rb { return ra < rb }
            let sa = since(a.element), sb = since(b.element)
            return sa != sb ? sa < sb : a.offset < b.offset
        }.map(\.element)
    }
}
