import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore
import Forge

/// What stands in the way of shipping a session's work.
public enum ShipFinding: Sendable, Equatable {
    /// Uncommitted or untracked changes in the worktree (the summary says which).
    case dirty(worktree: String, summary: String)
    /// The branch has no upstream (or its upstream is gone).
    case noUpstream(branch: String)
    /// The branch has commits its upstream lacks.
    case unpushed(branch: String, upstream: String, count: Int)
    /// The worktree or branch could not be read.
    case unreadable(String)

    public var message: String {
        switch self {
        case .dirty(let worktree, let summary): "the worktree \(worktree) has uncommitted work: \(summary)"
        case .noUpstream(let branch): "the branch \(branch) has no upstream: it was never pushed (use --push)"
        case .unpushed(let branch, let upstream, let count):
            "the branch \(branch) has \(count) commit\(count == 1 ? "" : "s") not on \(upstream) (use --push)"
        case .unreadable(let reason): reason
        }
    }

    /// Whether a push can resolve it.
    var pushResolves: Bool {
        switch self {
        case .noUpstream, .unpushed: true
        case .dirty, .unreadable: false
        }
    }
}

/// What `ship` did.
public struct ShipResult: Sendable {
    public let session: Session
    public let pushed: PushResult?
    /// Findings shipped over with --force.
    public let overridden: [ShipFinding]
}

/// `ppds ship`: guardrails, an optional push and PR creation, then the session's change.
public enum Ship {
    /// The guardrails: the worktree is clean, and the branch is on its upstream.
    public static func check(_ session: Session, in repository: Repository) -> [ShipFinding] {
        var findings: [ShipFinding] = []
        do {
            let status = try repository.workingTreeStatus(at: session.worktree)
            if status.isDirty { findings.append(.dirty(worktree: session.worktree, summary: status.summary)) }
        } catch {
            findings.append(.unreadable("the worktree \(session.worktree) cannot be read: \(error.message)"))
        }
        do {
            guard let branch = try repository.branch(session.branch) else {
                findings.append(.unreadable("the branch \(session.branch) does not exist"))
                return findings
            }
            guard let upstream = branch.upstream, let upstreamTip = branch.upstreamTarget else {
                findings.append(.noUpstream(branch: branch.name))
                return findings
            }
            let ahead = try repository.aheadBehind(branch.target, upstreamTip).ahead
            if ahead > 0 {
                let short = upstream.hasPrefix("refs/remotes/") ? String(upstream.dropFirst(13)) : upstream
                findings.append(.unpushed(branch: branch.name, upstream: short, count: ahead))
            }
        } catch {
            findings.append(.unreadable("the branch \(session.branch) cannot be read: \(error.message)"))
        }
        return findings
    }

    /// The refusal for `findings`, or nil when there are none.
    static func refusal(_ findings: [ShipFinding]) -> PPDSError? {
        guard !findings.isEmpty else { return nil }
        let lines = findings.map { "- " + $0.message }.joined(separator: "\n")
        return .refused("not shipping:\n\(lines)\nfix that, or pass --force to ship anyway")
    }

    /// Ships `issue`: checks (the session is this repository's; the guardrails, unless `force`),
    /// pushes when asked, creates the PR with gh when asked, and records it.
    /// Without `workspace` (run outside any repository), the session's worktree names the repository.
    public static func run(_ issue: IssueNumber, store: SessionStore, workspace: Workspace?, pr: String?, push: Bool, createPR: Bool,
                           force: Bool, now: Date = Date()) throws(PPDSError) -> ShipResult {
        let session = try PPDSError.wrapping { try store.load(issue) }
        try workspace?.requireOwns(session)
        let repository: Repository
        if let workspace {
            repository = try workspace.openRepository()
        } else {
            repository = try PPDSError.wrapping { try Repository.discover(from: session.worktree) }
        }
        // Everything a ship needs is checked before anything changes: a push must never be
        // followed by "gh is missing" or a refused transition.
        if createPR, ProcessRunner.find("gh") == nil { throw missingGH }
        if let pr { try SessionChanges.validatePRURL(pr) }
        do { _ = try session.applying(.ship(pr: pr ?? "https://example.invalid/pull/1", force: force), at: now) } catch {
            throw PPDSError.refused(error.message)
        }
        var findings = check(session, in: repository)
        var pushed: PushResult?
        if push {
            if !force, let refusal = refusal(findings.filter { !$0.pushResolves }) { throw refusal }
            pushed = try PPDSError.wrapping { try repository.push(branch: session.branch) }
            findings = check(session, in: repository)
        }
        if !force, let refusal = refusal(findings) { throw refusal }
        var url = pr
        if createPR {
            do {
                url = try createPullRequest(branch: session.branch, in: session.worktree)
            } catch {
                // Something did change: the push. Say so, or the reader thinks nothing did.
                guard let pushed else { throw error }
                throw PPDSError(error.reason, "\(session.branch) was pushed to \(pushed.remote)\(pushed.setUpstream ? " (upstream set)" : ""); then \(error.message)")
            }
        }
        guard let url else { throw PPDSError.usage("ship needs --pr URL or --create-pr") }
        try SessionChanges.validatePRURL(url)
        let shipped = try SessionChanges.apply(.ship(pr: url, force: force), to: issue, in: store, workspace: workspace, now: now)
        return ShipResult(session: shipped, pushed: pushed, overridden: force ? findings : [])
    }

    static let missingGH = PPDSError.failed("--create-pr needs the gh CLI, which is not on PATH; nothing was pushed or changed. Install it, or create the PR yourself and pass --pr URL")

    /// `gh pr create --fill --head <branch>`, run by argv in the worktree; its URL from stdout.
    public static func createPullRequest(branch: String, in worktree: String) throws(PPDSError) -> String {
        guard ProcessRunner.find("gh") != nil else { throw missingGH }
        var environment = ProcessInfo.processInfo.environment
        environment[FaultInjection.variable] = nil
        let output = try ProcessRunner.run(["gh", "pr", "create", "--fill", "--head", branch], in: worktree,
                                           environment: environment, inheriting: false, timeout: 120, outputLimit: GitHubCLI.outputLimit)
        guard output.status == 0, !output.timedOut, !output.overflowed else {
            let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PPDSError.failed("gh pr create failed: \(output.timedOut || output.overflowed || reason.isEmpty ? output.summary : reason); nothing was recorded")
        }
        let candidates = output.stdout.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("https://") || $0.hasPrefix("http://") }
        guard let url = candidates.last else {
            throw PPDSError.failed("gh pr create printed no pull request URL; nothing was recorded")
        }
        do { try SessionChanges.validatePRURL(url) } catch {
            throw PPDSError.failed("gh pr create printed \(url), which is not a pull request URL; nothing was recorded")
        }
        return url
    }
}
