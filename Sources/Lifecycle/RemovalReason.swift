import GitKit
import SessionKit
import Support

/// Why prune kept, failed on or removed a candidate: one case per rule of `RemovalPolicy`
/// (and per way the run itself can fail), with what the message needs. The words, and the
/// command that overrides a refusal, are View's (`PruneText.describe`); the JSON's `reasonKind`
/// is the case's name.
public enum RemovalReason: Sendable, Equatable {
    // Kept or failed before anything was judged.
    /// `prune #N` named an issue with no session here.
    case noSession(IssueNumber, repoRoot: String)
    /// The named issue's session file cannot be read.
    case unreadableSessionFile(file: String, problem: String)
    /// The facts could not be gathered: nothing is known, so nothing is removed.
    case factsUnavailable(String)

    // The policy's refusals, in its order.
    case sessionActive(SessionStatus)
    /// `git worktree lock`; the lock's reason, empty when none was given.
    case locked(String)
    case claimedByOthers([IssueNumber])
    case otherBranchCheckedOut(checkedOut: String, claimed: String?)
    case headUnreadable
    /// The folder's `.git` file does not point at this repository's entry for it.
    case notLinkedToEntry(path: String)
    case mounted(at: String)
    case nestedWorktree(String)
    /// The command runs inside the worktree.
    case holdsCurrentFolder
    /// Live processes use the folder (current folder, root, an open or mapped file inside); no override.
    case usedByProcesses([FolderUser])
    /// A folder at the session's path that git has no entry for, holding more than a killed prune left.
    case folderWithoutEntry(path: String)
    /// The base cannot be used to judge whether the work is merged.
    case baseUnusable(String)
    case mergeCheckFailed(String)
    /// A branch without commits of its own, younger than `--min-age`.
    case tooNew(branch: String)
    case statusUnreadable(String)
    /// Uncommitted or untracked changes; `--force` overrides.
    case dirty(summary: String)
    /// Uncommitted or untracked changes, and `--force` does not apply: ppds cannot show the
    /// worktree is the session's (its branch has no creation record from ppds).
    case dirtyNotProvablyOurs(summary: String)
    /// Repositories inside with work of their own; `--force --force-delete` overrides.
    case enclosedWork([String])
    /// The worktree's own refs name commits no shared ref reaches; `--force-delete` overrides.
    case privateCommits([String])
    case branchUnmerged(UnmergedBranch)
    case detachedHeadUnmerged(commit: ObjectID, base: String, matchesIgnoringWhitespace: Bool)
    case branchCheckedOutElsewhere(branch: String, holder: String)

    /// Removed (or, dry run, would be).
    case removable(Removal)
    /// The removal was decided but failed while applied; nothing was lost.
    case applyFailed(String)

    public struct UnmergedBranch: Sendable, Equatable {
        public var branch: String
        public var base: String
        /// "2 commits not on the base, never pushed".
        public var unpushed: String
        /// The base has the same change ignoring whitespace: a hint, never proof.
        public var matchesIgnoringWhitespace: Bool
        /// How old the base's last fetch is, when it is a remote-tracking branch.
        public var baseNote: String?
        /// This run fetched already: the advice names `--base` instead of `--fetch`.
        public var fetchedThisRun: Bool

        public init(branch: String, base: String, unpushed: String, matchesIgnoringWhitespace: Bool, baseNote: String?,
                    fetchedThisRun: Bool) {
            self.branch = branch
            self.base = base
            self.unpushed = unpushed
            self.matchesIgnoringWhitespace = matchesIgnoringWhitespace
            self.baseNote = baseNote
            self.fetchedThisRun = fetchedThisRun
        }
    }

    public struct Removal: Sendable, Equatable {
        public enum Evidence: Sendable, Equatable {
            /// Merged into the base, by the named check.
            case merged(MergeCheck, into: String?)
            /// Not merged: `--force-delete` removed it.
            case forced
            /// The branch (and any detached HEAD) was already gone.
            case branchGone
        }
        public var evidence: Evidence
        /// The branch stays: ppds cannot show it created it.
        public var keptBranch: String?
        /// Where to undo it, once the move to the trash is done.
        public var restore: Restore?

        public struct Restore: Sendable, Equatable {
            /// What `ppds restore` takes: the issue number, or the trash entry's id without one.
            public var name: String
            public var until: String

            public init(name: String, until: String) {
                self.name = name
                self.until = until
            }
        }

        public init(evidence: Evidence, keptBranch: String? = nil, restore: Restore? = nil) {
            self.evidence = evidence
            self.keptBranch = keptBranch
            self.restore = restore
        }
    }

    /// The case's name, for the JSON (`reasonKind`) and for tests.
    public var kind: String {
        switch self {
        case .noSession: "noSession"
        case .unreadableSessionFile: "unreadableSessionFile"
        case .factsUnavailable: "factsUnavailable"
        case .sessionActive: "sessionActive"
        case .locked: "locked"
        case .claimedByOthers: "claimedByOthers"
        case .otherBranchCheckedOut: "otherBranchCheckedOut"
        case .headUnreadable: "headUnreadable"
        case .notLinkedToEntry: "notLinkedToEntry"
        case .mounted: "mounted"
        case .nestedWorktree: "nestedWorktree"
        case .holdsCurrentFolder: "holdsCurrentFolder"
        case .usedByProcesses: "usedByProcesses"
        case .folderWithoutEntry: "folderWithoutEntry"
        case .baseUnusable: "baseUnusable"
        case .mergeCheckFailed: "mergeCheckFailed"
        case .tooNew: "tooNew"
        case .statusUnreadable: "statusUnreadable"
        case .dirty: "dirty"
        case .dirtyNotProvablyOurs: "dirtyNotProvablyOurs"
        case .enclosedWork: "enclosedWork"
        case .privateCommits: "privateCommits"
        case .branchUnmerged: "branchUnmerged"
        case .detachedHeadUnmerged: "detachedHeadUnmerged"
        case .branchCheckedOutElsewhere: "branchCheckedOutElsewhere"
        case .removable: "removable"
        case .applyFailed: "applyFailed"
        }
    }
}
