import Foundation
import Agents
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore
import Replication

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
    /// Check against this base only, instead of the recorded one, the local default branch
    /// and its upstream.
    public var base: String?
    /// Fetch the remotes of the candidates' remote-tracking bases first.
    public var fetch = false

    public static let defaultMinAge: TimeInterval = 3600

    public init(issues: [IssueNumber] = [], dryRun: Bool = false, force: Bool = false, forceDelete: Bool = false,
                minAge: TimeInterval = PruneRequest.defaultMinAge, all: Bool = false, base: String? = nil) {
        self.issues = issues
        self.dryRun = dryRun
        self.force = force
        self.forceDelete = forceDelete
        self.minAge = minAge
        self.all = all
        self.base = base
    }
}

/// The contract's outcome names, plus kept reasons of ppds's own (see the README's
/// decisions): `keptClaimed`, `keptMismatch`, `keptMounted`, `keptInUse`.
public enum PruneOutcome: String, Sendable, CaseIterable {
    case removed, wouldRemove, keptDirty, keptLocked, keptUnmerged, keptActive, keptTooNew
    /// Another session claims the worktree or the branch.
    case keptClaimed
    /// The folder is not this session's worktree: another branch checked out, an unreadable
    /// HEAD, a `.git` file pointing elsewhere, or a folder git has no entry for.
    case keptMismatch
    /// A file system is mounted inside the worktree.
    case keptMounted
    /// The command runs inside the worktree: removing it would leave the shell in a deleted folder.
    case keptInUse
    case failed

    public var isKept: Bool { rawValue.hasPrefix("kept") }
}

public struct PruneResult: Sendable {
    public var issue: IssueNumber?
    public var branch: String?
    public var worktree: String?
    public var outcome: PruneOutcome
    public var reason: RemovalReason
    public var merged: MergeCheck?
    /// Ignored files and folders that go (or, dry run, would go) with the worktree, other
    /// than what ppds copied in.
    public var ignored: [String] = []
    /// The trash entry a removal made, and what in it exists nowhere else.
    public var trashID: String?
    public var unique: [String] = []
}

/// Something a prune run says beside its results (`PruneText` words it).
public enum PruneWarning: Sendable, Equatable {
    /// A session's worktree folder is missing (an unmounted disk?): its git entry was kept.
    case worktreeMissing(IssueNumber, path: String)
    /// Most worktree folders are missing: no stale entry was pruned.
    case mostFoldersMissing(missing: Int, of: Int)
    case note(String)
}

public struct PruneReport: Sendable {
    public var results: [PruneResult]
    /// Admin entries whose folder is gone (or half-made), pruned or (dry run) to prune.
    public var staleEntries: [String]
    public var warnings: [PruneWarning]
    public var dryRun: Bool
    /// Advice about the repository (a commit-graph to write), once per run.
    public var hints: [RunHint] = []

    public var anyFailed: Bool { results.contains { $0.outcome == .failed } }
}

/// Cleans up finished work without losing any. For each candidate it gathers the facts
/// (`facts`), lets `RemovalPolicy` decide, and applies the decision under an intent record
/// and the session's lock. One prune runs at a time per repository.
public struct Prune: Sendable {
    public let workspace: Workspace
    public let config: Config
    public var now: Date = Date()
    /// The folder the command runs in: a worktree holding it is kept.
    public var currentFolder: String = FileManager.default.currentDirectoryPath

    public init(workspace: Workspace, config: Config) {
        self.workspace = workspace
        self.config = config
    }

    /// What every candidate's facts need, read once per run.
    struct SharedFacts: Sendable {
        var worktrees: [WorktreeInfo]
        var mounts: [String]
        var localDefaults: [(name: String, commit: ObjectID)]
        /// Each linked worktree's canonical folder, resolved once (not once per candidate).
        var canonicalFolders: [(name: String, path: String, canonical: String)] = []
        /// What every readable process uses (cwd, root, open and mapped files), scanned once
        /// before any `git status` of ours runs; nil when no candidate's folder is judged.
        var places: ProcessPlaces?

        init(worktrees: [WorktreeInfo], mounts: [String], localDefaults: [(name: String, commit: ObjectID)]) {
            self.worktrees = worktrees
            self.mounts = mounts
            self.localDefaults = localDefaults
            canonicalFolders = worktrees.filter { !$0.path.isEmpty }.map { ($0.name, $0.path, canonicalPath($0.path)) }
        }
    }

    /// Someone to prune: a session, or (with --all) a worktree no session owns.
    struct Candidate: Sendable {
        var session: Session?
        var worktree: WorktreeInfo?
        var branch: String?
        var path: String?
        /// A removal a killed prune began; its leftovers hold nothing of value.
        var interruptedRemoval = false
        /// The commit an interrupted prune checked, for recognising what it left.
        var interruptedCommit: ObjectID?
        /// The admin entry name the interrupted prune was removing.
        var interruptedAdminName: String?
    }

    /// Every front end that prunes (the CLI, `doctor --fix` finishing an interrupted prune,
    /// `cancel --remove`) calls this, so each removed session's registry claim is released with
    /// it: the issue is free for any machine again.
    public func run(_ request: PruneRequest) throws(PPDSError) -> PruneReport {
        // Two prunes at once would race on the same worktrees and branches: take turns.
        var report: PruneReport
        do {
            report = try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> PruneReport in try runAlone(request) }
        } catch {
            throw PPDSError.from(error)
        }
        // After the lock: releasing talks to the remote, and needs no worktree held still.
        report.warnings += RegistryClaims.release(report.results.filter { $0.outcome == .removed }.compactMap(\.issue),
                                                  workspace: workspace, config: config).map(PruneWarning.note)
        return report
    }

    private func runAlone(_ request: PruneRequest) throws(PPDSError) -> PruneReport {
        let repository = try workspace.openRepository()
        let listing = workspace.store.list()
        let owned = listing.sessions.filter { workspace.owns($0) }
        var results: [PruneResult] = []
        var warnings: [PruneWarning] = listing.errors.map {
            .note("\($0.file) could not be read: \($0.reason); it was left alone ('ppds doctor --fix' moves it aside)")
        }
        var candidates: [Candidate] = []
        let worktrees: [WorktreeInfo]
        worktrees = try PPDSError.wrapping { try repository.worktrees() }
        var index = WorktreeIndex(worktrees.filter { !$0.isMain })
        let claims = Claims(listing.sessions, owned: owned)

        if request.issues.isEmpty {
            for session in owned { candidates.append(Candidate(session: session, worktree: index.worktree(at: session.worktree), branch: session.branch, path: session.worktree)) }
        } else {
            for issue in request.issues {
                if let session = owned.first(where: { $0.issue == issue }) {
                    candidates.append(Candidate(session: session, worktree: index.worktree(at: session.worktree), branch: session.branch, path: session.worktree))
                } else if let bad = listing.errors.first(where: { ($0.file as NSString).lastPathComponent == issue.sessionID + ".json" }) {
                    results.append(PruneResult(issue: issue, outcome: .failed, reason: .unreadableSessionFile(file: bad.file, problem: bad.reason)))
                } else {
                    results.append(PruneResult(issue: issue, outcome: .failed, reason: .noSession(issue, repoRoot: workspace.repoRoot)))
                }
            }
        }
        if request.all {
            if listing.errors.isEmpty {
                for info in worktrees where !info.isMain && info.state == .ok && claims.claimants(ofFolder: info.path).isEmpty {
                    candidates.append(Candidate(session: nil, worktree: info, branch: info.head.branchName, path: info.path))
                }
            } else {
                warnings.append(.note("worktrees without a session were not considered: a session file that could not be read may claim them"))
            }
        }

        try vantageGuard(candidates)

        // --fetch: the remotes behind the bases, once each, before anything is checked.
        if request.fetch {
            var remotes: [String] = []
            let names = candidates.compactMap { request.base ?? $0.session?.base } + BaseResolver.localDefaults(repository).map(\.name)
            for name in names {
                if let remote = repository.remote(ofTrackingName: name), !remotes.contains(remote) { remotes.append(remote) }
            }
            for remote in remotes {
                do {
                    try repository.fetch(remote: remote)
                } catch {
                    warnings.append(.note("could not fetch \(remote): \(error.message); checked against what was fetched before"))
                }
            }
        }

        // An earlier prune that was killed (or failed) left its intent record: a record is never
        // a licence. What its move to the trash did is put back, and the candidate is judged
        // again below like any other, with no force path.
        let intents = IntentStore(home: workspace.store.home)
        let trash = Trash(workspace: workspace, repository: repository)
        for note in trash.recover() { warnings.append(.note(note)) }
        for candidate in candidates {
            guard let issue = candidate.session?.issue, let intent = intents.load(.prune, issue.value, repo: workspace.repoRoot), !intent.isLive,
                  intent.repo == workspace.repoRoot else { continue }
            repository.removeStaleRefLock(branch: intent.branch)
            if let failure = intent.failure {
                warnings.append(.note("\(issue.tag): an earlier prune failed and exited (\(failure)); judged again"))
            } else {
                warnings.append(.note("\(issue.tag): an earlier prune was killed (pid \(intent.pid)); what it moved was put back, judged again"))
            }
            intents.clear(intent)
        }

        // Read once per run (after --fetch), not once per candidate.
        var sharedFacts = SharedFacts(worktrees: worktrees, mounts: MountTable.all(), localDefaults: BaseResolver.localDefaults(repository))
        if candidates.contains(where: { $0.worktree?.state == .ok && ($0.session?.status.isTerminal ?? true) }) {
            sharedFacts.places = ProcessPlaces.scan()
        }
        let shared = sharedFacts
        // Facts first, on every core (each thread with its own repository handle and merge
        // detector); then the decisions and removals, one at a time.
        // Each candidate also says how many commits its merge checks walked without a commit-graph.
        let gathered = parallelMap(candidates, jobs: candidates.count < 4 ? 1 : ProcessInfo.processInfo.activeProcessorCount, context: {
            () -> (Repository, MergeDetector)? in
            guard let repository = try? workspace.openRepository() else { return nil }
            return (repository, MergeDetector(repository: repository))
        }) { [self] context, candidate -> (RemovalFacts, walked: Int) in
            guard let (repository, detector) = context else {
                var facts = RemovalFacts(sessionStatus: candidate.session?.status, claimedBranch: candidate.branch)
                facts.gatheringProblem = "could not open the repository to check it"
                return (facts, 0)
            }
            let before = detector.commitsWalkedWithoutGraph
            let found = facts(candidate, request: request, repository: repository, detector: detector, claims: claims, shared: shared)
            return (found, detector.commitsWalkedWithoutGraph - before)
        }
        let allFacts = gathered.map(\.0)
        let hints = RunHint.afterMergeChecks(walked: gathered.reduce(0) { $0 + $1.walked }, repository: repository)
        let options = RemovalOptions(dryRun: request.dryRun, force: request.force, forceDelete: request.forceDelete)
        var removedSessions: Set<IssueNumber> = []
        for (candidate, facts) in zip(candidates, allFacts) {
            let decision = RemovalPolicy.decide(facts, options)
            var result = PruneResult(issue: candidate.session?.issue, branch: candidate.branch, worktree: candidate.path,
                                     outcome: decision.outcome, reason: decision.reason,
                                     merged: facts.branch?.tip.merged ?? facts.detachedHead?.merged,
                                     ignored: facts.worktree?.ignoredNotCopied ?? [])
            if decision.outcome == .removed {
                result = apply(decision, to: candidate, facts: facts, repository: repository, result: result)
                if result.outcome == .removed, let issue = candidate.session?.issue { removedSessions.insert(issue) }
            }
            results.append(result)
        }

        // Entries whose folder is missing: the policy says which may go.
        var claimed: [StaleEntryFacts.Claim] = []
        for session in owned where !removedSessions.contains(session.issue) {
            guard let entry = index.worktree(at: session.worktree) else { continue }
            claimed.append(.init(issue: session.issue, path: session.worktree, entryName: entry.name,
                                 folderMissing: entry.state == .folderMissing, sessionActive: !session.status.isTerminal))
        }
        let linked = worktrees.filter { !$0.isMain }
        let staleDecision = RemovalPolicy.staleEntries(StaleEntryFacts(
            linked: linked.count, missingUnlocked: linked.filter { $0.state == .folderMissing && !$0.isLocked }.count, claims: claimed))
        warnings += staleDecision.warnings
        var stale: [String] = []
        if staleDecision.prune {
            do {
                stale = try repository.pruneStaleWorktrees(dryRun: request.dryRun, sparing: staleDecision.sparing).map { $0.path.isEmpty ? $0.name : $0.path }
            } catch {
                warnings.append(.note("could not prune stale worktree entries: \(error.message)"))
            }
        }
        // Trash entries past their retention go now (the only deletion prune makes).
        if !request.dryRun {
            do {
                for gone in try trash.expire(now: now) {
                    warnings.append(.note("trash entry \(gone.issueNumber?.tag ?? gone.id) (\(gone.worktree)) expired and was deleted"))
                }
            } catch {
                warnings.append(.note("could not empty expired trash entries: \(error.message)"))
            }
        }
        return PruneReport(results: results, staleEntries: stale, warnings: warnings, dryRun: request.dryRun, hints: hints)
    }

    /// Stops the run when the policy finds most candidates' folders missing (`RemovalPolicy.vantage`).
    func vantageGuard(_ candidates: [Candidate]) throws(PPDSError) {
        let facts = candidates.map { candidate in
            VantageFacts(finished: candidate.session?.status.isTerminal ?? true, path: candidate.path,
                         markedGone: candidate.session?.extra[Session.worktreeGoneKey] != nil,
                         folderExists: candidate.path.map { FileManager.default.fileExists(atPath: $0) } ?? true)
        }
        if let refusal = RemovalPolicy.vantage(facts) {
            throw PPDSError.refused("""
            \(refusal.missing.count) of \(refusal.finished) candidates' worktree folders are missing (for example \(refusal.missing[0])). \
            If they live on a disk that is not mounted here, or in another container, pruning would lose them. \
            Nothing was changed. Run 'ppds doctor' to review; 'ppds doctor --fix' marks worktrees that are really gone.
            """)
        }
    }

    /// Gathers what the policy needs about one candidate. Reads only; changes nothing.
    func facts(_ candidate: Candidate, request: PruneRequest, repository: Repository, detector: MergeDetector, claims: Claims,
               shared: SharedFacts) -> RemovalFacts {
        let session = candidate.session
        var facts = RemovalFacts(sessionStatus: session?.status, claimedBranch: candidate.branch)
        facts.fetchedThisRun = request.fetch
        // What costs nothing to know (the admin entry's lock, other claimants) first: when the
        // policy's first rules decide on it, nothing else is read.
        if let info = candidate.worktree {
            facts.worktree = WorktreeFacts(name: info.name, path: info.path, state: info.state, head: info.head)
            facts.worktree?.lockReason = info.lockReason
        }
        if let session {
            facts.otherClaimants = claims.otherClaimants(of: session)
        }
        if RemovalPolicy.decideOnCheapFacts(facts) != nil { return facts }

        // The recorded base (or --base), then the local default branch and its upstream: merged
        // into any of them, exactly, is merged.
        var bases: [(name: String, commit: ObjectID)] = []
        let baseName = request.base ?? session?.base ?? (try? BaseResolver.resolve(given: nil, config: config, repository: repository))?.name
        if let baseName {
            if let branch = candidate.branch, Session.base(baseName, namesBranch: branch) {
                facts.baseProblem = "the base '\(baseName)' is the branch itself; cannot tell whether it is merged"
            } else if !BaseResolver.namesARef(baseName, repository), (try? repository.resolveCommit(baseName)) != nil {
                // A commit id or a revision expression is no evidence (it can name the branch's
                // own tip); the local default branch and its upstream still are.
                if request.base != nil {
                    facts.baseProblem = "the base '\(baseName)' is not a branch, remote-tracking branch or tag; merged into a fixed commit is no evidence"
                }
            } else if let resolved = try? repository.resolveCommit(baseName) {
                bases.append((baseName, resolved))
            } else {
                facts.baseProblem = "the base '\(baseName)' does not resolve; cannot tell whether \(candidate.branch ?? "the worktree") is merged"
            }
        } else {
            facts.baseProblem = "no base found; cannot tell whether \(candidate.branch ?? "the worktree") is merged"
        }
        if request.base == nil, facts.baseProblem == nil {
            for extra in shared.localDefaults where !Self.names(extra.name, branch: candidate.branch) && !bases.contains(where: { $0.commit == extra.commit }) {
                bases.append(extra)
            }
            if bases.isEmpty {
                facts.baseProblem = "the base '\(baseName ?? "?")' is not a branch, remote-tracking branch or tag, and there is no local default branch; cannot tell whether \(candidate.branch ?? "the worktree") is merged ('ppds prune --base REF')"
            }
        }
        facts.baseName = bases.isEmpty ? (baseName ?? "its base") : bases.map(\.name).joined(separator: " or ")
        if let primary = bases.first?.name, !primary.hasPrefix("refs/heads/"), !repository.referenceExists("refs/heads/" + primary),
           repository.referenceExists("refs/remotes/" + primary) {
            facts.baseNote = BaseResolver.lastFetchAge(repository, ref: primary).map { "\(primary) was last fetched \(HumanDuration.describe($0)) ago" }
                ?? "\(primary) has never been fetched here"
        }
        func commitFacts(_ tip: ObjectID) -> CommitFacts {
            var commit = CommitFacts(commit: tip)
            do {
                for base in bases {
                    if let merged = try detector.check(tip: tip, base: base.commit) {
                        commit.merged = merged
                        commit.mergedInto = base.name
                        return commit
                    }
                }
                if let primary = bases.first {
                    commit.matchesIgnoringWhitespace = (try? detector.matchesIgnoringWhitespace(tip: tip, base: primary.commit)) ?? false
                }
            } catch {
                commit.mergeError = error.message
            }
            return commit
        }

        if let name = candidate.branch, let branch = try? repository.branch(name) {
            let origin = repository.origin(ofBranch: name)
            // ppds's own branches begin at the session's recorded base commit, and libgit2
            // names that commit in the record ("branch: Created from <hex>"); git's own
            // `branch` and `worktree add -b` name the start point instead.
            let created = origin.map { origin in
                session?.baseCommit.map { origin.commit.hex == $0 && origin.message == "branch: Created from " + $0 } ?? false
            } ?? false
            var branchFacts = BranchFacts(name: name, tip: commitFacts(branch.target), createdByPPDS: created)
            let neverCommitted = session?.baseCommit.map { $0 == branch.target.hex } ?? (repository.reflogEntryCount(branch: name) == 1)
            branchFacts.newAndEmpty = neverCommitted && age(of: candidate) < request.minAge
            // The list read at the start of the run: deleting the branch checks again.
            if let holder = WorktreeInfo.holder(of: name, in: shared.worktrees),
               candidate.path.map({ !samePlace(holder, $0) }) ?? true {
                branchFacts.checkedOutElsewhere = holder
            }
            // Only a kept-unmerged reason shows it, and counting walks the history.
            if branchFacts.tip.merged == nil {
                branchFacts.unpushed = unpushedDescription(branch, baseTip: bases.first?.commit, repository: repository)
            }
            facts.branch = branchFacts
        }

        if let info = candidate.worktree {
            var worktree = WorktreeFacts(name: info.name, path: info.path, state: info.state, head: info.head)
            worktree.lockReason = info.lockReason
            // Read from the admin entry, so a missing or unreadable folder never skips it.
            if case .detached(let id) = info.head { facts.detachedHead = commitFacts(id) }
            if info.state == .ok {
                worktree.holdsCurrentFolder = samePlace(info.path, currentFolder) || path(canonicalPath(currentFolder), isInside: canonicalPath(info.path))
                // The session's own agent is not an obstacle: it is stopped before the move.
                let agent = session.map { AgentStop.stoppable($0, machineID: (try? Machine.current(home: workspace.store.home))?.id) } ?? []
                worktree.usedBy = (shared.places?.users(of: info.path) ?? []).filter { !agent.contains($0.pid) }
                worktree.linkedToEntry = repository.linksToAdminEntry(folder: info.path, name: info.name)
                worktree.mountPoints = MountTable.mountPoints(atOrBelow: info.path, in: shared.mounts)
                do {
                    // git's own judgement (ignore rules, config from the environment, sparse
                    // checkout, split and sparse indexes); libgit2's reading only without git.
                    var status: WorkingTreeStatus
                    if GitJudge.git != nil {
                        do {
                            let judged = try GitJudge.status(of: info.path)
                            status = judged.status
                            worktree.gitlinks = judged.gitlinks
                        } catch {
                            throw GitError(.precondition, "git status", info.path, message: error.message)
                        }
                    } else {
                        status = try repository.worktreeStatus(name: info.name, folder: info.path, includeIgnored: true)
                    }
                    worktree.status = status
                    worktree.ignoredNotCopied = status.ignored.filter { !isCopy($0, in: info.path) }
                    worktree.enclosedWithWork = try repository.enclosedRepositories(worktree: info.name, folder: info.path, status: status)
                        .filter(\.holdsWork).map(\.gitDir)
                } catch {
                    worktree.status = nil
                    worktree.statusError = PPDSError.from(error).message
                }
            }
            // Refs of the worktree's own (refs/worktree/*, refs/bisect/*) go with its entry.
            let privateRefs = repository.privateRefTips(ofWorktree: info.name)
            if !privateRefs.isEmpty {
                let sharedTips = repository.sharedRefTips()
                for (ref, commit) in privateRefs where !((try? repository.isReachable(commit, fromAny: sharedTips)) ?? false) {
                    worktree.privateCommits.append(ref)
                }
            }
            // Another worktree inside this one's folder would go with it.
            if !info.path.isEmpty {
                let root = canonicalPath(info.path)
                worktree.nestedWorktrees = shared.canonicalFolders.filter { other in
                    other.name != info.name && other.canonical != root && path(other.canonical, isInside: root)
                }.map(\.path)
            }
            facts.worktree = worktree
        } else if let path = candidate.path, FileManager.default.fileExists(atPath: path) {
            // A killed removal that got as far as the entry leaves the folder; finish only
            // when it holds nothing but the files of the commit that prune checked.
            var removable = false
            if let commit = candidate.interruptedCommit, let admin = candidate.interruptedAdminName {
                removable = repository.folderHoldsOnlyCheckout(at: path, of: commit)
                    && (Repository.gitdirLink(of: path).map { canonicalPath($0) == canonicalPath(repository.worktreesAdminDir + "/" + admin) } ?? true)
            }
            facts.folderWithoutEntry = LeftoverFolder(path: path, removable: removable)
        }
        return facts
    }

    /// Whether a base's name spells the candidate's own branch (`feat/x`, `heads/feat/x`,
    /// `refs/heads/feat/x`): merged into itself is no evidence, and it does not survive the removal.
    static func names(_ base: String, branch: String?) -> Bool {
        guard let branch else { return false }
        return base == branch || base == "heads/" + branch || base == "refs/heads/" + branch
    }

    /// Applies a removal decision: intent first, then the move to the trash (folder, admin
    /// entry, session file by rename; the commits kept by a ref; the branch deleted by
    /// compare-and-swap), under the session's lock so a concurrent update cannot race it.
    /// Nothing is deleted: `ppds restore` undoes it until the entry expires.
    private func apply(_ decision: RemovalDecision, to candidate: Candidate, facts: RemovalFacts, repository: Repository,
                       result: PruneResult) -> PruneResult {
        var result = result
        let intents = IntentStore(home: workspace.store.home)
        let checked = facts.detachedHead?.commit ?? facts.branch?.tip.commit
        var intent = candidate.session.map {
            Intent(operation: .prune, issue: $0.issue.value, repo: workspace.repoRoot, branch: $0.branch, worktree: $0.worktree,
                   adminName: candidate.worktree?.name, commit: checked?.hex, pid: getpid(), created: Timestamp.format(now))
        }
        let trash = Trash(workspace: workspace, repository: repository)
        // The session's agent stops before its worktree goes (before the session's lock: the stop records the exit under it).
        if decision.removeWorktree, let session = candidate.session { _ = try? AgentStop.stop(session.issue, store: workspace.store) }
        do {
            let work = { () throws in
                // What was checked must still be what is there: a commit made, a branch
                // switched, or a file changed while this waited for the session's lock is not
                // covered by the check.
                if let worktree = candidate.worktree, let now = repository.worktree(named: worktree.name), now.head != worktree.head {
                    throw PPDSError.conflict("\(worktree.path) changed while prune ran (its HEAD moved); nothing was removed, run prune again")
                }
                if let worktree = candidate.worktree, worktree.state == .ok, facts.worktree?.status?.isDirty != true, GitJudge.git != nil {
                    let again = try GitJudge.status(of: worktree.path).status
                    if again.isDirty {
                        throw PPDSError.conflict("\(worktree.path) changed while prune ran (\(again.summary)); nothing was removed")
                    }
                }
                // A process that began using the folder since the facts were read keeps it too.
                if let worktree = candidate.worktree, worktree.state == .ok,
                   let user = ProcessPlaces.scan().users(of: worktree.path).first {
                    throw PPDSError.conflict("\(worktree.path) came into use by process \(user.pid) (\(user.command)) while prune ran; nothing was removed")
                }
                var move = Trash.Move(issue: candidate.session?.issue, branch: facts.branch?.name, branchTip: facts.branch?.tip.commit,
                                      deleteBranch: decision.deleteBranch, worktree: candidate.path ?? candidate.worktree?.path ?? "",
                                      adminName: decision.removeWorktree ? candidate.worktree?.name : nil,
                                      detachedHead: facts.detachedHead?.commit,
                                      sessionFile: decision.removeSession ? candidate.session.map { workspace.store.path(for: $0.issue) } : nil,
                                      status: facts.worktree?.status, retention: config.trashRetention ?? Trash.defaultRetention,
                                      regenerable: config.regenerable ?? Trash.defaultRegenerable)
                move.gitlinks = facts.worktree?.gitlinks ?? []
                // The folder goes only with its entry: a folder git has no entry for is not
                // the worktree's (the policy keeps it), and a missing one has nothing to move.
                move.moveFolder = decision.removeWorktree && candidate.worktree?.state == .ok
                if move.worktree.isEmpty { move.worktree = workspace.repoRoot }
                if var record = intent {
                    record.trashID = nil
                    try intents.record(record)
                }
                let manifest = try trash.move(move, now: now)
                intent?.trashID = manifest.id
                // Every removal says how to undo it: by issue, or by the entry's id without one.
                let name = candidate.session.map { String($0.issue.value) } ?? manifest.id
                if case .removable(var removal) = result.reason {
                    removal.restore = .init(name: name, until: manifest.expiresAt)
                    result.reason = .removable(removal)
                }
                result.trashID = manifest.id
                result.unique = manifest.unique
                if let intent { intents.clear(intent) }
            }
            if let session = candidate.session {
                try workspace.store.withLock(session.issue) { try work() }
            } else {
                try work()
            }
        } catch {
            result.outcome = .failed
            let message = PPDSError.from(error).message
            result.reason = .applyFailed(message)
            // It failed and exited (it was not killed): the move put back what it had moved,
            // so the record goes; doctor tells the two apart when one is left.
            if var record = intent {
                record.failure = message
                if (try? trash.entries().entries.contains { $0.issue == record.issue && $0.state == .moving }) == true {
                    try? intents.record(record)
                } else {
                    intents.clear(record)
                }
            }
        }
        return result
    }

    /// Whether an ignored file is an identical copy of the main worktree's file (what
    /// start-work's `copy` brought in).
    private func isCopy(_ relative: String, in folder: String) -> Bool {
        guard !relative.hasSuffix("/"), let ours = FileManager.default.contents(atPath: workspace.repoRoot + "/" + relative) else { return false }
        return FileManager.default.contents(atPath: folder + "/" + relative) == ours
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
