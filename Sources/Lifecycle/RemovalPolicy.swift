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
    public var reason: String
    public var removeWorktree = false
    public var removeLeftoverFolder = false
    public var deleteBranch = false
    public var removeSession = false

    static func kept(_ outcome: PruneOutcome, _ reason: String) -> RemovalDecision {
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
/// doubt is kept, with the reason and the command that overrides it where one exists.
public enum RemovalPolicy {
    public static func decide(_ facts: RemovalFacts, _ options: RemovalOptions) -> RemovalDecision {
        if let problem = facts.gatheringProblem { return .kept(.failed, problem) }
        if let status = facts.sessionStatus, !status.isTerminal {
            return .kept(.keptActive, "the session is \(status.fileValue)")
        }
        if let reason = facts.worktree?.lockReason {
            return .kept(.keptLocked, "the worktree is locked" + (reason.isEmpty ? "" : " (\(reason))"))
        }
        if !facts.otherClaimants.isEmpty {
            return .kept(.keptClaimed, "\(facts.otherClaimants.map(\.tag).joined(separator: ", ")) also claim\(facts.otherClaimants.count == 1 ? "s" : "") its worktree or branch; see 'ppds doctor'")
        }
        if let worktree = facts.worktree, worktree.state == .ok {
            switch worktree.head {
            case .branch(let name) where name != facts.claimedBranch:
                return .kept(.keptMismatch, "the worktree has \(name) checked out, not \(facts.claimedBranch ?? "the session's branch")")
            case .unknown:
                return .kept(.keptMismatch, "the worktree's HEAD cannot be read")
            default: break
            }
            if !worktree.linkedToEntry {
                return .kept(.keptMismatch, "\(worktree.path)/.git does not point at this repository's entry for it; it is not this worktree")
            }
            if !worktree.mountPoints.isEmpty {
                return .kept(.keptMounted, "a file system is mounted at \(worktree.mountPoints[0]); unmount it first")
            }
            if !worktree.nestedWorktrees.isEmpty {
                return .kept(.keptClaimed, "another worktree lives inside it (\(worktree.nestedWorktrees[0])); move or remove that one first")
            }
            if worktree.holdsCurrentFolder {
                return .kept(.keptInUse, "you are inside it; run prune from another folder (for example the main worktree)")
            }
        }
        if let leftover = facts.folderWithoutEntry, !leftover.removable {
            return .kept(.keptMismatch, "\(leftover.path) exists but git has no worktree entry for it; see 'ppds doctor'")
        }
        if let problem = facts.baseProblem, facts.branch != nil || facts.detachedHead != nil {
            return .kept(.failed, problem)
        }
        for commit in [facts.branch?.tip, facts.detachedHead].compactMap({ $0 }) {
            if let error = commit.mergeError { return .kept(.failed, "merge check failed: \(error)") }
        }
        if let branch = facts.branch, branch.newAndEmpty {
            return .kept(.keptTooNew, "\(branch.name) has no commits of its own and is younger than --min-age (default 1 h); 'ppds prune --min-age 0s' clears it now (into the trash, restorable)")
        }
        if let worktree = facts.worktree, worktree.state == .ok, !worktree.interruptedRemoval {
            guard let status = worktree.status else {
                return .kept(.failed, "could not read the worktree's status: \(worktree.statusError ?? "unknown error")")
            }
            if status.isDirty && !options.force {
                return .kept(.keptDirty, "the worktree has \(status.summary); --force removes it")
            }
            // --force gives up a session's own uncommitted work; a session file may name any
            // folder, so it applies only where ppds can show the worktree is the session's.
            if status.isDirty && facts.sessionStatus != nil && facts.branch?.createdByPPDS != true {
                return .kept(.keptDirty, "the worktree has \(status.summary); --force does not apply: ppds cannot show this worktree is the session's (its branch has no creation record from ppds)")
            }
        }
        if let worktree = facts.worktree, worktree.state == .ok, !worktree.enclosedWithWork.isEmpty, !(options.force && options.forceDelete) {
            return .kept(.keptDirty, "\(worktree.enclosedWithWork.joined(separator: ", ")) hold\(worktree.enclosedWithWork.count == 1 ? "s" : "") work of its own (a submodule, a clone or another worktree inside, with commits on no remote or changes); --force --force-delete removes it")
        }
        if let worktree = facts.worktree, !worktree.privateCommits.isEmpty, !options.forceDelete {
            return .kept(.keptUnmerged, "\(worktree.privateCommits.joined(separator: ", ")) of this worktree name\(worktree.privateCommits.count == 1 ? "s" : "") commits found on no shared ref; --force-delete removes them")
        }
        if let branch = facts.branch, branch.tip.merged == nil, !options.forceDelete {
            let hint = branch.tip.matchesIgnoringWhitespace
                ? "; the base has the same change ignoring whitespace, which is not proof (whitespace can matter)" : ""
            let note = facts.baseNote.map { "; \($0)" } ?? ""
            return .kept(.keptUnmerged, "\(branch.name) is not merged into \(facts.baseName) (\(branch.unpushed))\(hint)\(note); if it was merged elsewhere, \(facts.fetchedThisRun ? "name the branch it was merged into with --base REF" : "'ppds prune --fetch' (or --base REF) first"); --force-delete deletes it")
        }
        if let head = facts.detachedHead, head.merged == nil, !options.forceDelete {
            let hint = head.matchesIgnoringWhitespace ? "; the base has the same change ignoring whitespace, which is not proof" : ""
            return .kept(.keptUnmerged, "the worktree's detached HEAD \(head.commit.short) holds commits not merged into \(facts.baseName)\(hint); --force-delete removes it")
        }
        if let branch = facts.branch, let holder = branch.checkedOutElsewhere {
            return .kept(.failed, "\(branch.name) is checked out in \(holder); not deleting it")
        }

        var decision = RemovalDecision(outcome: options.dryRun ? .wouldRemove : .removed, reason: "")
        decision.removeWorktree = facts.worktree != nil
        decision.removeLeftoverFolder = facts.folderWithoutEntry?.removable ?? false
        decision.removeSession = facts.sessionStatus != nil
        var reasons: [String] = []
        let mergedCommit = facts.branch?.tip.merged != nil ? facts.branch?.tip : facts.detachedHead
        if let merged = mergedCommit?.merged {
            // Said as a person would; the JSON's `merged` keeps the exact check.
            let phrase = merged == .sameCommit ? "merged (the same commit)" : merged.spoken
            reasons.append(phrase + (mergedCommit?.mergedInto.map { " into \($0)" } ?? ""))
        } else if facts.branch != nil || facts.detachedHead != nil {
            reasons.append("unmerged, removed by --force-delete")
        } else {
            reasons.append("branch already gone")
        }
        if let branch = facts.branch {
            if branch.createdByPPDS {
                decision.deleteBranch = true
            } else {
                reasons.append("\(branch.name) kept: ppds cannot show it created it (no 'branch: Created from' reflog entry at the session's base commit)")
            }
        }
        decision.reason = reasons.joined(separator: "; ")
        return decision
    }
}
