import Config
import GitKit
import SessionKit
import Support

/// Everything prune knows about one candidate, gathered before anything is decided
/// (`Prune.facts`). The policy below reads nothing else, so a table of facts drives it in
/// tests without git.
public struct RemovalFacts: Sendable, Equatable {
    /// The session's status; nil for a worktree no session owns (`prune --all`).
    public var sessionStatus: SessionStatus?
    /// The branch the session names (or the worktree's own branch, without a session).
    public var claimedBranch: String?
    /// Other sessions that claim the same folder (by identity) or the same branch.
    public var otherClaimants: [IssueNumber] = []
    /// The worktree as git knows it; nil when git has no entry for the folder.
    public var worktree: WorktreeFacts?
    /// A folder at the session's path that git has no entry for.
    public var folderWithoutEntry: LeftoverFolder?
    /// The session's branch; nil when it is gone.
    public var branch: BranchFacts?
    /// The worktree's HEAD when it is detached.
    public var detachedHead: CommitFacts?
    /// Why the base could not be used, when it could not.
    public var baseProblem: String?
    /// The base's name, for messages.
    public var baseName: String = "its base"
    /// Something a user should know about the base: how old its last fetch is.
    public var baseNote: String?
    /// This run fetched the base's remote (`--fetch`): advice never repeats the flag just used.
    public var fetchedThisRun = false
    /// The facts could not be gathered: nothing is known, so nothing is removed.
    public var gatheringProblem: String?

    public init(sessionStatus: SessionStatus? = nil, claimedBranch: String? = nil) {
        self.sessionStatus = sessionStatus
        self.claimedBranch = claimedBranch
    }
}

public struct WorktreeFacts: Sendable, Equatable {
    public var name: String
    public var path: String
    public var state: WorktreeEntryState
    public var lockReason: String?
    public var head: WorktreeHead
    /// The folder's `.git` file points exactly at this repository's admin entry.
    public var linkedToEntry: Bool = true
    public var mountPoints: [String] = []
    /// The command runs in this folder or below it.
    public var holdsCurrentFolder = false
    /// Other live processes that use the folder (read from /proc: this user's processes only).
    public var usedBy: [FolderUser] = []
    /// The worktree's own refs (refs/worktree/*, refs/bisect/*) that name commits no shared ref reaches.
    public var privateCommits: [String] = []
    /// Other worktrees whose folders lie inside this one's.
    public var nestedWorktrees: [String] = []
    /// nil when not read (folder missing) or unreadable (`statusError`).
    public var status: WorkingTreeStatus?
    public var statusError: String?
    /// Repositories inside (submodules, nested clones) whose commits are on no remote.
    public var enclosedWithWork: [String] = []
    /// Ignored content that goes with the folder, other than what ppds copied in.
    public var ignoredNotCopied: [String] = []
    /// The index's submodule paths (git's reading), for what the trash lists as unique.
    public var gitlinks: [String] = []
    /// A prune killed while removing it left only files of the commit it checked.
    public var interruptedRemoval = false

    public init(name: String, path: String, state: WorktreeEntryState, head: WorktreeHead) {
        self.name = name
        self.path = path
        self.state = state
        self.head = head
    }
}

/// A folder at a session's path with no git entry: someone else's, or what a killed
/// removal left.
public struct LeftoverFolder: Sendable, Equatable {
    public var path: String
    /// A killed prune of ours left it, and it holds nothing but files of the commit it checked.
    public var removable: Bool

    public init(path: String, removable: Bool) {
        self.path = path
        self.removable = removable
    }
}

public struct CommitFacts: Sendable, Equatable {
    public var commit: ObjectID
    /// How it was found merged into the base; nil when it is not.
    public var merged: MergeCheck?
    public var mergeError: String?
    /// The base it was found merged into.
    public var mergedInto: String?
    /// Its change appears on the base when whitespace is ignored: a hint, never proof.
    public var matchesIgnoringWhitespace = false

    public init(commit: ObjectID, merged: MergeCheck? = nil) {
        self.commit = commit
        self.merged = merged
    }
}

public struct BranchFacts: Sendable, Equatable {
    public var name: String
    public var tip: CommitFacts
    /// Its reflog shows ppds created it (at the session's base commit).
    public var createdByPPDS: Bool
    /// It never had a commit of its own, and is younger than `--min-age`.
    public var newAndEmpty = false
    /// Another worktree has it checked out.
    public var checkedOutElsewhere: String?
    /// "2 commits not on the base, never pushed".
    public var unpushed = ""

    public init(name: String, tip: CommitFacts, createdByPPDS: Bool) {
        self.name = name
        self.tip = tip
        self.createdByPPDS = createdByPPDS
    }
}

/// What to do with one candidate.
public struct RemovalDecision: Sendable, Equatable {
    public var outcome: PruneOutcome
    public var reason: RemovalReason
    public var removeWorktree = false
    public var removeLeftoverFolder = false
    public var deleteBranch = false
    public var removeSession = false

    static func kept(_ outcome: PruneOutcome, _ reason: RemovalReason) -> RemovalDecision {
        RemovalDecision(outcome: outcome, reason: reason)
    }
}

public struct RemovalOptions: Sendable, Equatable {
    public var dryRun = false
    public var force = false
    public var forceDelete = false

    public init(dryRun: Bool = false, force: Bool = false, forceDelete: Bool = false) {
        self.dryRun = dryRun
        self.force = force
        self.forceDelete = forceDelete
    }
}

/// The one rule for removing anything. Pure: the same facts always give the same decision.
/// Every path to a removal needs exact evidence that nothing unique is lost; anything in
/// doubt is kept, with a reason that names the override where one exists (`PruneText`
/// words it).
///
/// The rules' order lives here only: the first ones (`decideOnCheapFacts`) need only what is
/// known without reading the worktree or the history, and `Prune.facts` asks them before it
/// reads more. The run-wide rules (`mostFoldersMissing`, `staleEntries`) are here too.
public enum RemovalPolicy {
    /// Rules 1-4, on the facts that cost nothing to know: the gathering, the session's status,
    /// the worktree's lock, other claimants. When one decides, nothing else is read.
    public static func decideOnCheapFacts(_ facts: RemovalFacts) -> RemovalDecision? {
        if let problem = facts.gatheringProblem { return .kept(.failed, .factsUnavailable(problem)) }
        if let status = facts.sessionStatus, !status.isTerminal { return .kept(.keptActive, .sessionActive(status)) }
        if let reason = facts.worktree?.lockReason { return .kept(.keptLocked, .locked(reason)) }
        if !facts.otherClaimants.isEmpty { return .kept(.keptClaimed, .claimedByOthers(facts.otherClaimants)) }
        return nil
    }

    public static func decide(_ facts: RemovalFacts, _ options: RemovalOptions) -> RemovalDecision {
        if let decided = decideOnCheapFacts(facts) { return decided }
        if let worktree = facts.worktree, worktree.state == .ok {
            switch worktree.head {
            case .branch(let name) where name != facts.claimedBranch:
                return .kept(.keptMismatch, .otherBranchCheckedOut(checkedOut: name, claimed: facts.claimedBranch))
            case .unknown:
                return .kept(.keptMismatch, .headUnreadable)
            default: break
            }
            if !worktree.linkedToEntry { return .kept(.keptMismatch, .notLinkedToEntry(path: worktree.path)) }
            if let mount = worktree.mountPoints.first { return .kept(.keptMounted, .mounted(at: mount)) }
            if let nested = worktree.nestedWorktrees.first { return .kept(.keptClaimed, .nestedWorktree(nested)) }
            if worktree.holdsCurrentFolder { return .kept(.keptInUse, .holdsCurrentFolder) }
            // No flag overrides it: the process would lose its folder (or write into one that is gone).
            if !worktree.usedBy.isEmpty { return .kept(.keptInUse, .usedByProcesses(worktree.usedBy)) }
        }
        if let leftover = facts.folderWithoutEntry, !leftover.removable {
            return .kept(.keptMismatch, .folderWithoutEntry(path: leftover.path))
        }
        if let problem = facts.baseProblem, facts.branch != nil || facts.detachedHead != nil {
            return .kept(.failed, .baseUnusable(problem))
        }
        for commit in [facts.branch?.tip, facts.detachedHead].compactMap({ $0 }) {
            if let error = commit.mergeError { return .kept(.failed, .mergeCheckFailed(error)) }
        }
        if let branch = facts.branch, branch.newAndEmpty {
            return .kept(.keptTooNew, .tooNew(branch: branch.name))
        }
        if let worktree = facts.worktree, worktree.state == .ok, !worktree.interruptedRemoval {
            guard let status = worktree.status else {
                return .kept(.failed, .statusUnreadable(worktree.statusError ?? "unknown error"))
            }
            if status.isDirty && !options.force {
                return .kept(.keptDirty, .dirty(summary: status.summary))
            }
            // --force gives up a session's own uncommitted work; a session file may name any
            // folder, so it applies only where ppds can show the worktree is the session's.
            if status.isDirty && facts.sessionStatus != nil && facts.branch?.createdByPPDS != true {
                return .kept(.keptDirty, .dirtyNotProvablyOurs(summary: status.summary))
            }
        }
        if let worktree = facts.worktree, worktree.state == .ok, !worktree.enclosedWithWork.isEmpty, !(options.force && options.forceDelete) {
            return .kept(.keptDirty, .enclosedWork(worktree.enclosedWithWork))
        }
        if let worktree = facts.worktree, !worktree.privateCommits.isEmpty, !options.forceDelete {
            return .kept(.keptUnmerged, .privateCommits(worktree.privateCommits))
        }
        if let branch = facts.branch, branch.tip.merged == nil, !options.forceDelete {
            return .kept(.keptUnmerged, .branchUnmerged(.init(
                branch: branch.name, base: facts.baseName, unpushed: branch.unpushed,
                matchesIgnoringWhitespace: branch.tip.matchesIgnoringWhitespace, baseNote: facts.baseNote,
                fetchedThisRun: facts.fetchedThisRun)))
        }
        if let head = facts.detachedHead, head.merged == nil, !options.forceDelete {
            return .kept(.keptUnmerged, .detachedHeadUnmerged(commit: head.commit, base: facts.baseName,
                                                              matchesIgnoringWhitespace: head.matchesIgnoringWhitespace))
        }
        if let branch = facts.branch, let holder = branch.checkedOutElsewhere {
            return .kept(.failed, .branchCheckedOutElsewhere(branch: branch.name, holder: holder))
        }

        let evidence: RemovalReason.Removal.Evidence
        let mergedCommit = facts.branch?.tip.merged != nil ? facts.branch?.tip : facts.detachedHead
        if let merged = mergedCommit?.merged {
            evidence = .merged(merged, into: mergedCommit?.mergedInto)
        } else if facts.branch != nil || facts.detachedHead != nil {
            evidence = .forced
        } else {
            evidence = .branchGone
        }
        var removal = RemovalReason.Removal(evidence: evidence)
        var decision = RemovalDecision(outcome: options.dryRun ? .wouldRemove : .removed, reason: .removable(removal))
        decision.removeWorktree = facts.worktree != nil
        decision.removeLeftoverFolder = facts.folderWithoutEntry?.removable ?? false
        decision.removeSession = facts.sessionStatus != nil
        if let branch = facts.branch {
            if branch.createdByPPDS {
                decision.deleteBranch = true
            } else {
                removal.keptBranch = branch.name
                decision.reason = .removable(removal)
            }
        }
        return decision
    }

    /// When most of the folders a run would judge are missing, the run probably cannot see
    /// them (another container, an unmounted disk): it stops (candidates) or leaves their git
    /// entries alone (stale entries) rather than delete.
    public static func mostFoldersMissing(missing: Int, of total: Int) -> Bool {
        missing >= 2 && missing * 2 > total
    }

    /// The run-wide rule before any candidate is judged: when most finished candidates'
    /// folders are missing (and doctor did not mark them gone), this run probably cannot see
    /// them (another container, an unmounted disk), so it stops rather than delete.
    public static func vantage(_ candidates: [VantageFacts]) -> VantageRefusal? {
        let finished = candidates.filter(\.finished)
        let missing = finished.filter { !$0.markedGone && !$0.folderExists }.compactMap(\.path)
        guard mostFoldersMissing(missing: missing.count, of: finished.count) else { return nil }
        return VantageRefusal(missing: missing, finished: finished.count)
    }

    /// Stale admin entries (folder gone): which prune may remove, and what to warn about.
    public static func staleEntries(_ facts: StaleEntryFacts) -> StaleEntryDecision {
        var decision = StaleEntryDecision()
        for claim in facts.claims {
            // Never an entry a session still claims: its disk may be unmounted, and pruning the
            // entry would lose the worktree's index and HEAD.
            decision.sparing.insert(claim.entryName)
            if claim.folderMissing && claim.sessionActive {
                decision.warnings.append(.worktreeMissing(claim.issue, path: claim.path))
            }
        }
        if mostFoldersMissing(missing: facts.missingUnlocked, of: facts.linked) {
            decision.prune = false
            decision.warnings.append(.mostFoldersMissing(missing: facts.missingUnlocked, of: facts.linked))
        }
        return decision
    }
}

/// What the stale-entry rule reads: the linked worktrees, and the entries sessions claim.
public struct StaleEntryFacts: Sendable, Equatable {
    public struct Claim: Sendable, Equatable {
        public var issue: IssueNumber
        public var path: String
        public var entryName: String
        public var folderMissing: Bool
        public var sessionActive: Bool

        public init(issue: IssueNumber, path: String, entryName: String, folderMissing: Bool, sessionActive: Bool) {
            self.issue = issue
            self.path = path
            self.entryName = entryName
            self.folderMissing = folderMissing
            self.sessionActive = sessionActive
        }
    }
    /// Linked worktrees (not the main one).
    public var linked: Int
    /// Linked worktrees whose folder is missing and that are not locked.
    public var missingUnlocked: Int
    /// Entries of sessions prune did not remove in this run.
    public var claims: [Claim]

    public init(linked: Int, missingUnlocked: Int, claims: [Claim]) {
        self.linked = linked
        self.missingUnlocked = missingUnlocked
        self.claims = claims
    }
}

public struct StaleEntryDecision: Sendable, Equatable {
    /// Whether stale entries are pruned at all.
    public var prune = true
    /// Entries never pruned.
    public var sparing: Set<String> = []
    public var warnings: [PruneWarning] = []
}

/// What the vantage rule reads about one candidate.
public struct VantageFacts: Sendable, Equatable {
    /// Its session is finished, or it has none (`--all`).
    public var finished: Bool
    public var path: String?
    /// `doctor --fix` marked its worktree really gone.
    public var markedGone: Bool
    public var folderExists: Bool

    public init(finished: Bool, path: String?, markedGone: Bool, folderExists: Bool) {
        self.finished = finished
        self.path = path
        self.markedGone = markedGone
        self.folderExists = folderExists
    }
}

/// The run stops: these finished candidates' folders are missing.
public struct VantageRefusal: Sendable, Equatable {
    public var missing: [String]
    public var finished: Int

    public init(missing: [String], finished: Int) {
        self.missing = missing
        self.finished = finished
    }
}
