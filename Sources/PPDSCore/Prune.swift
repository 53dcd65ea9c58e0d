import Foundation
import GitKit
import SessionKit

public struct PruneRequest: Sendable {
    public var issues: [IssueNumber]
    public var dryRun: Bool
    /// Remove worktrees that have uncommitted or untracked changes.
    public var force: Bool
    /// Delete branches whose commits are not merged.
    public var forceDelete: Bool
    /// A branch that never had a commit of its own is kept while younger than this.
    public var minAge: TimeInterval
    /// Also consider linked worktrees that no session owns.
    public var all: Bool

    public static let defaultMinAge: TimeInterval = 3600

    public init(issues: [IssueNumber] = [], dryRun: Bool = false, force: Bool = false, forceDelete: Bool = false,
                minAge: TimeInterval = PruneRequest.defaultMinAge, all: Bool = false) {
        self.issues = issues
        self.dryRun = dryRun
        self.force = force
        self.forceDelete = forceDelete
        self.minAge = minAge
        self.all = all
    }
}

/// The contract's outcome names.
public enum PruneOutcome: String, Sendable, CaseIterable {
    case removed, wouldRemove, keptDirty, keptLocked, keptUnmerged, keptActive, keptTooNew, failed

    public var isKept: Bool { rawValue.hasPrefix("kept") }
}

public struct PruneResult: Sendable {
    public var issue: IssueNumber?
    public var branch: String?
    public var worktree: String?
    public var outcome: PruneOutcome
    public var reason: String
    public var merged: MergeCheck?

    public var json: JSONValue {
        .object([
            "issue": issue.map { .string($0.tag) } ?? .null,
            "branch": branch.map(JSONValue.string) ?? .null,
            "worktree": worktree.map(JSONValue.string) ?? .null,
            "outcome": .string(outcome.rawValue),
            "reason": .string(reason),
            "merged": merged.map { .string($0.rawValue) } ?? .null,
        ])
    }
}

public struct PruneReport: Sendable {
    public var results: [PruneResult]
    /// Admin entries whose folder is gone (or half-made), pruned or (dry run) to prune.
    public var staleEntries: [String]
    public var warnings: [String]
    public var dryRun: Bool

    public var anyFailed: Bool { results.contains { $0.outcome == .failed } }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["dryRun"] = .bool(dryRun)
        out["results"] = .array(results.map(\.json))
        out["staleWorktreeEntries"] = .array(staleEntries.map(JSONValue.string))
        out["warnings"] = .array(warnings.map(JSONValue.string))
        return out
    }
}

/// Cleans up finished work without losing any: merged work goes (worktree, branch
/// compare-and-swap, session file); dirty, locked, unmerged, active and too-new work stays.
public struct Prune {
    public let workspace: Workspace
    public let config: Config
    public var now: Date = Date()

    public init(workspace: Workspace, config: Config) {
        self.workspace = workspace
        self.config = config
    }

    /// Someone to prune: a session, or (with --all) a worktree no session owns.
    struct Candidate {
        var session: Session?
        var worktree: WorktreeInfo?
        var branch: String?
        var path: String?
        /// A removal a killed prune began; its leftovers hold nothing of value.
        var interruptedRemoval = false
    }

    public func run(_ request: PruneRequest) throws(PPDSError) -> PruneReport {
        let repository = try workspace.openRepository()
        let listing = workspace.store.list()
        let owned = listing.sessions.filter { workspace.owns($0) }
        var results: [PruneResult] = []
        var candidates: [Candidate] = []
        let worktrees: [WorktreeInfo]
        do { worktrees = try repository.worktrees() } catch { throw PPDSError.from(error) }
        var index = WorktreeIndex(worktrees.filter { !$0.isMain })
        func worktree(at path: String) -> WorktreeInfo? { index.worktree(at: path) }

        if request.issues.isEmpty {
            for session in owned { candidates.append(Candidate(session: session, worktree: worktree(at: session.worktree), branch: session.branch, path: session.worktree)) }
        } else {
            for issue in request.issues {
                if let session = owned.first(where: { $0.issue == issue }) {
                    candidates.append(Candidate(session: session, worktree: worktree(at: session.worktree), branch: session.branch, path: session.worktree))
                } else if let bad = listing.errors.first(where: { ($0.file as NSString).lastPathComponent == issue.sessionID + ".json" }) {
                    results.append(PruneResult(issue: issue, outcome: .failed, reason: "\(bad.file) could not be read: \(bad.reason)"))
                } else {
                    results.append(PruneResult(issue: issue, outcome: .failed, reason: "no session for \(issue.tag) in \(workspace.repoRoot)"))
                }
            }
        }
        if request.all {
            let claimed = Set(owned.map { canonicalPath($0.worktree) })
            for info in worktrees where !info.isMain && info.state == .ok && !claimed.contains(canonicalPath(info.path)) {
                candidates.append(Candidate(session: nil, worktree: info, branch: info.head.branchName, path: info.path))
            }
        }

        try vantageGuard(candidates)

        // A prune killed while deleting a branch leaves that ref's lock file; git and libgit2
        // then refuse the branch. Its intent record names the branch, and its process is gone.
        // A prune killed while removing a worktree leaves it half-deleted, which reads as dirty:
        // when the folder holds nothing but files of the commit that prune checked, finishing
        // the removal loses nothing.
        let intents = IntentStore(home: workspace.store.home)
        for index in candidates.indices {
            guard let issue = candidates[index].session?.issue, let intent = intents.load(.prune, issue.value), !intent.isLive else { continue }
            repository.removeStaleRefLock(branch: intent.branch)
            if let path = candidates[index].worktree?.path, let commit = intent.commit.flatMap(ObjectID.init(hex:)),
               repository.folderHoldsOnlyCheckout(at: path, of: commit) {
                candidates[index].interruptedRemoval = true
            }
        }

        let detector = MergeDetector(repository: repository)
        for candidate in candidates {
            results.append(prune(candidate, request: request, repository: repository, detector: detector))
        }

        var warnings: [String] = []
        var stale: [String] = []
        let linked = worktrees.filter { !$0.isMain }
        let missing = linked.filter { $0.state == .folderMissing && !$0.isLocked }
        if missing.count >= 2 && missing.count * 2 > linked.count {
            warnings.append("\(missing.count) of \(linked.count) worktree folders are missing; their git entries were left alone. Run 'ppds doctor' first.")
        } else {
            do {
                stale = try repository.pruneStaleWorktrees(dryRun: request.dryRun).map { $0.path.isEmpty ? $0.name : $0.path }
            } catch {
                warnings.append("could not prune stale worktree entries: \(error.message)")
            }
        }
        return PruneReport(results: results, staleEntries: stale, warnings: warnings, dryRun: request.dryRun)
    }

    /// When most candidates' folders are missing, this run probably cannot see them (another
    /// container, an unmounted disk): stop rather than delete. Doctor marks gone worktrees.
    func vantageGuard(_ candidates: [Candidate]) throws(PPDSError) {
        let finished = candidates.filter { $0.session?.status.isTerminal ?? true }
        let missing = finished.filter { candidate in
            guard let path = candidate.path, candidate.session?.extra[Session.worktreeGoneKey] == nil else { return false }
            return !FileManager.default.fileExists(atPath: path)
        }
        if missing.count >= 2 && missing.count * 2 > finished.count {
            throw PPDSError.refused("""
            \(missing.count) of \(finished.count) candidates' worktree folders are missing (for example \(missing[0].path ?? "")). \
            If they live on a disk that is not mounted here, or in another container, pruning would lose them. \
            Nothing was changed. Run 'ppds doctor' to review; 'ppds doctor --fix' marks worktrees that are really gone.
            """)
        }
    }

    func prune(_ candidate: Candidate, request: PruneRequest, repository: Repository, detector: MergeDetector) -> PruneResult {
        var result = PruneResult(issue: candidate.session?.issue, branch: candidate.branch, worktree: candidate.path,
                                 outcome: .failed, reason: "")
        func finish(_ outcome: PruneOutcome, _ reason: String) -> PruneResult {
            result.outcome = outcome
            result.reason = reason
            return result
        }
        if let session = candidate.session, !session.status.isTerminal {
            return finish(.keptActive, "the session is \(session.status.fileValue)")
        }
        if let lock = candidate.worktree?.lockReason {
            return finish(.keptLocked, "the worktree is locked" + (lock.isEmpty ? "" : " (\(lock))"))
        }
        let branch = candidate.branch.flatMap { try? repository.branch($0) } ?? nil
        // Without the branch, a detached HEAD may be the only thing holding the worktree's commits.
        var detachedHead: ObjectID?
        if branch == nil, candidate.worktree?.state == .ok, case .detached(let id)? = candidate.worktree?.head { detachedHead = id }
        let baseName = candidate.session?.base ?? (try? BaseResolver.resolve(given: nil, config: config, repository: repository))?.name
        var baseTip: ObjectID?
        if let tip = branch?.target ?? detachedHead {
            guard let baseName, let base = try? repository.resolveCommit(baseName) else {
                return finish(.failed, "the base '\(baseName ?? "?")' does not resolve; cannot tell whether \(branch?.name ?? tip.short) is merged")
            }
            baseTip = base
            do {
                result.merged = try detector.check(tip: tip, base: base)
            } catch {
                return finish(.failed, "merge check failed: \(error.message)")
            }
        }

        // A branch that never had a commit of its own looks merged; young ones may be in use.
        if let branch {
            // Sessions record where the branch started; for other worktrees the reflog tells.
            let neverCommitted = candidate.session?.baseCommit.map { $0 == branch.target.hex }
                ?? (repository.reflogEntryCount(branch: branch.name) == 1)
            if neverCommitted && age(of: candidate) < request.minAge {
                return finish(.keptTooNew, "the branch has no commits of its own and is younger than \(Duration.describe(request.minAge))")
            }
        }

        let folderPresent = candidate.worktree?.state == .ok
        if folderPresent, let path = candidate.path, !request.force, !candidate.interruptedRemoval {
            do {
                let status = try repository.workingTreeStatus(at: path)
                if status.isDirty { return finish(.keptDirty, "the worktree has \(status.summary); --force removes it") }
            } catch {
                return finish(.failed, "could not read the worktree's status: \(error.message)")
            }
        }
        if let branch, result.merged == nil, !request.forceDelete {
            let unpushed = unpushedDescription(branch, baseTip: baseTip, repository: repository)
            return finish(.keptUnmerged, "\(branch.name) is not merged into \(baseName ?? "its base") (\(unpushed)); --force-delete deletes it")
        }
        if let detachedHead, result.merged == nil, !request.forceDelete {
            return finish(.keptUnmerged, "the worktree's detached HEAD \(detachedHead.short) is not merged into \(baseName ?? "its base"); --force-delete removes it")
        }
        if let branch, let holder = try? repository.worktreeHolding(branch: branch.name),
           candidate.path.map({ canonicalPath(holder) != canonicalPath($0) }) ?? true {
            return finish(.failed, "\(branch.name) is checked out in \(holder); not deleting it")
        }
        if request.dryRun {
            return finish(.wouldRemove, result.merged.map { "merged (\($0.rawValue))" } ?? "unmerged, removed by --force-delete")
        }
        return remove(candidate, branch: branch, request: request, repository: repository, result: result)
    }

    private func remove(_ candidate: Candidate, branch: Branch?, request: PruneRequest, repository: Repository,
                        result: PruneResult) -> PruneResult {
        var result = result
        let intents = IntentStore(home: workspace.store.home)
        let intent = candidate.session.map {
            Intent(operation: .prune, issue: $0.issue.value, repo: workspace.repoRoot, branch: $0.branch, worktree: $0.worktree,
                   adminName: candidate.worktree?.name, commit: branch?.target.hex, pid: getpid(), created: Timestamp.format(now))
        }
        do {
            let work = { () throws in
                if let intent { try intents.record(intent) }
                if let worktree = candidate.worktree {
                    try repository.removeWorktree(worktree.name, force: request.force || candidate.interruptedRemoval)
                }
                try FaultInjection.checkpoint("pruneAfterWorktree")
                if let branch { try repository.deleteBranch(branch.name, expecting: branch.target) }
                try FaultInjection.checkpoint("pruneAfterBranch")
                if let session = candidate.session { try workspace.store.removeHoldingLock(session.issue) }
                if let intent { intents.clear(intent) }
            }
            if let session = candidate.session {
                // The session lock keeps a concurrent update from racing the removal.
                try workspace.store.withLock(session.issue) { try work() }
            } else {
                try work()
            }
            result.outcome = .removed
            result.reason = result.merged.map { "merged (\($0.rawValue))" } ?? (branch == nil ? "branch already gone" : "unmerged, removed by --force-delete")
        } catch {
            result.outcome = .failed
            result.reason = PPDSError.from(error).message
        }
        return result
    }

    private func age(of candidate: Candidate) -> TimeInterval {
        if let session = candidate.session { return now.timeIntervalSince(session.started) }
        guard let name = candidate.worktree?.name,
              let attributes = try? FileManager.default.attributesOfItem(atPath: workspace.repoRoot + "/.git/worktrees/" + name),
              let date = attributes[.creationDate] as? Date ?? attributes[.modificationDate] as? Date else { return .infinity }
        return now.timeIntervalSince(date)
    }

    private func unpushedDescription(_ branch: Branch, baseTip: ObjectID?, repository: Repository) -> String {
        var parts: [String] = []
        if let baseTip, let counts = try? repository.aheadBehind(branch.target, baseTip) {
            parts.append("\(counts.ahead) commit\(counts.ahead == 1 ? "" : "s") not on the base")
        }
        if let upstream = branch.upstreamTarget, let counts = try? repository.aheadBehind(branch.target, upstream) {
            parts.append(counts.ahead == 0 ? "pushed" : "\(counts.ahead) unpushed")
        } else {
            parts.append("never pushed")
        }
        return parts.joined(separator: ", ")
    }
}
