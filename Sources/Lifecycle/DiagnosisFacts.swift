import Foundation
import GitKit
import SessionKit
import Agents
import Support

/// Everything the diagnosis looks at, read once (`DiagnosisFacts.gather`, or status's own
/// reading of the sessions). Every field is a plain value: judging them does no I/O.
public struct DiagnosisFacts: Sendable {
    /// How much was read: a session-level view (status) reads the sessions and their
    /// operations; the repository-level one (doctor) also git's entries, the trash and the registry.
    public enum Scope: Sendable { case sessions, repository }

    public struct CorruptFile: Sendable, Equatable {
        public var file: String
        public var reason: String

        public init(file: String, reason: String) {
            self.file = file
            self.reason = reason
        }
    }

    /// One intent record of this repository.
    public struct Operation: Sendable, Equatable {
        public var operation: Intent.Operation
        public var issue: IssueNumber?
        public var worktree: String
        public var branch: String
        public var pid: Int32
        public var failure: String?
        /// Its process is still running.
        public var live: Bool

        public init(operation: Intent.Operation, issue: IssueNumber?, worktree: String, branch: String, pid: Int32,
                    failure: String?, live: Bool) {
            self.operation = operation
            self.issue = issue
            self.worktree = worktree
            self.branch = branch
            self.pid = pid
            self.failure = failure
            self.live = live
        }
    }

    /// One git worktree entry besides the main one.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var path: String
        public var branch: String?
        public var state: WorktreeEntryState
        public var isLocked: Bool
        /// A running operation or a live session claims it: never judged stale.
        public var inUse: Bool
        /// A session or an intent record names its folder.
        public var claimed: Bool
        /// Its index holds staged changes found nowhere else (read for a missing folder only).
        public var holdsStagedWork: Bool

        public init(name: String, path: String, branch: String?, state: WorktreeEntryState, isLocked: Bool, inUse: Bool,
                    claimed: Bool, holdsStagedWork: Bool) {
            self.name = name
            self.path = path
            self.branch = branch
            self.state = state
            self.isLocked = isLocked
            self.inUse = inUse
            self.claimed = claimed
            self.holdsStagedWork = holdsStagedWork
        }
    }

    /// Where the session's worktree stands in git.
    public enum Checkout: Sendable, Equatable {
        /// git's entry is there with its folder, with this HEAD.
        case checkedOut(WorktreeHead)
        /// git has an entry whose folder is missing (or half-made).
        case entryWithoutFolder
        /// git has no entry for it (or it names the main worktree).
        case noEntry
    }

    public struct SessionFacts: Sendable, Equatable {
        public var session: Session
        public var checkout: Checkout
        /// Anything is at the worktree's path.
        public var folderExists: Bool
        public var parentExists: Bool
        public var branchExists: Bool
        /// Another worktree has the session's branch checked out.
        public var branchHeldBy: String?
        /// A running operation names its worktree.
        public var operationRunning: Bool
        /// The worktree's path as the file system resolves it (claims compare it).
        public var canonicalWorktree: String
        /// How the branch relates to its base, when read (status reads it).
        public var merged: MergeCheck?
        public var hasOwnCommits: Bool?
        /// The session's agent, as /proc shows it now.
        public var agent: AgentLiveness = .none

        public init(session: Session, checkout: Checkout, folderExists: Bool, parentExists: Bool, branchExists: Bool,
                    branchHeldBy: String?, operationRunning: Bool, canonicalWorktree: String,
                    merged: MergeCheck? = nil, hasOwnCommits: Bool? = nil) {
            self.session = session
            self.checkout = checkout
            self.folderExists = folderExists
            self.parentExists = parentExists
            self.branchExists = branchExists
            self.branchHeldBy = branchHeldBy
            self.operationRunning = operationRunning
            self.canonicalWorktree = canonicalWorktree
            self.merged = merged
            self.hasOwnCommits = hasOwnCommits
        }
    }

    public var scope: Scope
    public var now: Date
    public var staleAfter: TimeInterval
    /// Where `--fix` moves corrupt session files.
    public var quarantine: String
    public var corruptFiles: [CorruptFile] = []
    public var operations: [Operation] = []
    public var unreadableRecords: [String] = []
    public var interruptedTrash: [TrashManifest] = []
    public var entries: [Entry] = []
    public var sessions: [SessionFacts] = []
    public var registry: [Problem.RegistryFinding] = []

    public init(scope: Scope, now: Date, staleAfter: TimeInterval, quarantine: String) {
        self.scope = scope
        self.now = now
        self.staleAfter = staleAfter
        self.quarantine = quarantine
    }
}
