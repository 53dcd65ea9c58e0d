import Foundation
import GitKit
import SessionKit
import Support

/// One problem a session or the repository can have: the one list that doctor, status, their
/// JSON and the dashboard name problems by. Each case carries what its text needs; the text
/// is made in View (`ProblemText`).
public enum Problem: Sendable, Equatable {
    /// A session file that cannot be read; `--fix` moves it to `quarantine`.
    case corruptSessionFile(file: String, reason: String, quarantine: String)
    /// A start-work, recreate or prune (or a trash step) that is running or was cut short.
    case interruptedOperation(Interruption)
    /// A git worktree entry whose folder is gone or half-made.
    case staleWorktreeEntry(StaleEntry)
    /// The session's worktree is not where git has it checked out.
    case sessionWithoutWorktree(SessionRef, Absence)
    /// The worktree has another HEAD, or the branch is checked out somewhere else.
    case branchMismatch(SessionRef, Mismatch)
    /// The session's branch does not exist.
    case branchMissing(SessionRef)
    /// An active session with no update for `idle` seconds: a hint, not a verdict.
    case staleSession(SessionRef, status: SessionStatus, idle: TimeInterval)
    /// The session's agent ended while the session is `working` or `planning`: nobody is doing the work.
    case agentEnded(SessionRef, status: SessionStatus, AgentEnd)
    /// A finished session whose work is merged: good news, `ppds prune` cleans it up.
    case mergedReadyToPrune(SessionRef, merged: MergeCheck, ownCommits: Bool?)
    /// A worktree path or branch (`claim`) that more than one session claims.
    case duplicateClaim(claim: String, claimants: [IssueNumber])
    /// A worktree git has that no session (nor operation) claims.
    case worktreeWithoutSession(path: String, branch: String?)
    /// The registry replicated through a remote (`ppds sync`) disagrees with the local files.
    case registry(RegistryFinding)

    /// What a session-level problem names.
    public struct SessionRef: Sendable, Equatable {
        public var issue: IssueNumber
        public var worktree: String
        public var branch: String

        public init(_ session: Session) {
            issue = session.issue
            worktree = session.worktree
            branch = session.branch
        }
    }

    /// How an agent ended: recorded by its supervisor (`ago`, the exit code or signal), or
    /// without a trace (`ago` nil: its process is gone).
    public struct AgentEnd: Sendable, Equatable {
        public var ago: TimeInterval?
        public var exitCode: Int32?
        public var signal: Int32?
        public var pid: Int32?

        public init(ago: TimeInterval?, exitCode: Int32? = nil, signal: Int32? = nil, pid: Int32? = nil) {
            self.ago = ago
            self.exitCode = exitCode
            self.signal = signal
            self.pid = pid
        }
    }

    public enum Interruption: Sendable, Equatable {
        case running(Intent.Operation, issue: IssueNumber?, worktree: String, branch: String, pid: Int32)
        /// It failed and exited, saying `failure`.
        case failed(Intent.Operation, issue: IssueNumber?, worktree: String, branch: String, failure: String)
        /// Its process is gone.
        case killed(Intent.Operation, issue: IssueNumber?, worktree: String, branch: String, pid: Int32)
        case trashStep(TrashManifest.State, issue: IssueNumber?, worktree: String, branch: String?, pid: Int32)
        /// An intent record that cannot be read.
        case unreadableRecord(file: String)
    }

    public enum StaleEntry: Sendable, Equatable {
        /// Its folder's path is not UTF-8: left alone.
        case undecodablePath(name: String, branch: String?)
        /// Its index holds staged changes found nowhere else: kept.
        case holdsStagedWork(name: String, path: String?, branch: String?)
        /// Half-made (`path` nil) or its folder is gone: `--fix` prunes the entry.
        case prunable(name: String, path: String?, branch: String?, halfMade: Bool)
    }

    public enum Absence: Sendable, Equatable {
        /// The folder exists but git has no worktree entry for it.
        case folderWithoutEntry
        /// A live session's folder is missing: `parentMissing` suggests an unmounted disk;
        /// `entryKept` says git's entry is still there.
        case missing(status: SessionStatus, parentMissing: Bool, entryKept: Bool, branchExists: Bool)
        /// A finished session's folder is gone and it is not marked yet: `--fix` marks it.
        case finishedUnmarked
    }

    public enum Mismatch: Sendable, Equatable {
        /// The worktree has this HEAD checked out instead.
        case checkedOut(WorktreeHead)
        /// The branch is checked out in this other worktree.
        case heldBy(String)
    }

    public enum RegistryFinding: Sendable, Equatable {
        public enum Lag: Sendable, Equatable { case ahead, neverPushed, changedSinceSync(file: String) }
        case notPushed(IssueNumber, remote: String, Lag)
        case diverged(IssueNumber, remote: String)
        case conflict(IssueNumber, ownerLabel: String, ownerID: String)
        case claimWithoutSession(IssueNumber, remote: String)
        /// A commit sync refuses (`reason` is the vetting's own words).
        case refused(IssueNumber, reason: String)
    }

    /// How front ends group problems: what needs a human, and the good news of merged work.
    public enum Group: String, Sendable, CaseIterable {
        case problems, readyToPrune
    }

    /// The problem's name: doctor's, the contract's, the JSON's `kind`.
    public var name: String {
        switch self {
        case .corruptSessionFile: "corruptSessionFile"
        case .interruptedOperation: "interruptedOperation"
        case .staleWorktreeEntry: "staleWorktreeEntry"
        case .sessionWithoutWorktree: "sessionWithoutWorktree"
        case .branchMismatch: "branchMismatch"
        case .branchMissing: "branchMissing"
        case .staleSession: "staleSession"
        case .agentEnded: "agentEnded"
        case .mergedReadyToPrune: "mergedReadyToPrune"
        case .duplicateClaim: "duplicateClaim"
        case .worktreeWithoutSession: "worktreeWithoutSession"
        case .registry(let finding):
            switch finding {
            case .notPushed: "registryNotPushed"
            case .diverged: "registryDiverged"
            case .conflict: "registryConflict"
            case .claimWithoutSession: "claimWithoutSession"
            case .refused: "registryRefused"
            }
        }
    }

    /// The name status's JSON has always used (`kind` there); the same as `name` except two
    /// that status named before the one diagnosis existed.
    public var statusName: String {
        switch self {
        case .sessionWithoutWorktree: "worktreeMissing"
        case .staleSession: "stale"
        default: name
        }
    }

    public var group: Group {
        if case .mergedReadyToPrune = self { return .readyToPrune }
        return .problems
    }

    /// Whether `doctor --fix` repairs it without losing anything.
    public var fixable: Bool {
        switch self {
        case .corruptSessionFile: true
        case .interruptedOperation(let interruption):
            switch interruption {
            case .running, .unreadableRecord: false
            case .failed, .killed, .trashStep: true
            }
        case .staleWorktreeEntry(.prunable): true
        case .sessionWithoutWorktree(_, .finishedUnmarked): true
        default: false
        }
    }

    /// The issue it concerns, if one.
    public var issue: IssueNumber? {
        switch self {
        case .corruptSessionFile, .staleWorktreeEntry, .worktreeWithoutSession: nil
        case .interruptedOperation(let interruption):
            switch interruption {
            case .running(_, let issue, _, _, _), .failed(_, let issue, _, _, _), .killed(_, let issue, _, _, _),
                 .trashStep(_, let issue, _, _, _): issue
            case .unreadableRecord: nil
            }
        case .sessionWithoutWorktree(let ref, _), .branchMismatch(let ref, _), .branchMissing(let ref),
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _), .agentEnded(let ref, _, _): ref.issue
        case .duplicateClaim(_, let claimants): claimants.first
        case .registry(let finding):
            switch finding {
            case .notPushed(let issue, _, _), .diverged(let issue, _), .conflict(let issue, _, _),
                 .claimWithoutSession(let issue, _), .refused(let issue, _): issue
            }
        }
    }

    /// The worktree path it concerns, if one.
    public var worktree: String? {
        switch self {
        case .interruptedOperation(let interruption):
            switch interruption {
            case .running(_, _, let path, _, _), .failed(_, _, let path, _, _), .killed(_, _, let path, _, _),
                 .trashStep(_, _, let path, _, _): path
            case .unreadableRecord: nil
            }
        case .staleWorktreeEntry(let entry):
            switch entry {
            case .undecodablePath: nil
            case .holdsStagedWork(_, let path, _), .prunable(_, let path, _, _): path
            }
        case .sessionWithoutWorktree(let ref, _), .branchMismatch(let ref, _), .branchMissing(let ref),
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _), .agentEnded(let ref, _, _): ref.worktree
        case .duplicateClaim(let claim, _): claim.hasPrefix("/") ? claim : nil
        case .worktreeWithoutSession(let path, _): path
        case .corruptSessionFile, .registry: nil
        }
    }

    /// The branch it concerns, if one.
    public var branch: String? {
        switch self {
        case .interruptedOperation(let interruption):
            switch interruption {
            case .running(_, _, _, let branch, _), .failed(_, _, _, let branch, _), .killed(_, _, _, let branch, _): branch
            case .trashStep(_, _, _, let branch, _): branch
            case .unreadableRecord: nil
            }
        case .staleWorktreeEntry(let entry):
            switch entry {
            case .undecodablePath(_, let branch), .holdsStagedWork(_, _, let branch), .prunable(_, _, let branch, _): branch
            }
        case .sessionWithoutWorktree(let ref, _), .branchMismatch(let ref, _), .branchMissing(let ref),
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _), .agentEnded(let ref, _, _): ref.branch
        case .duplicateClaim(let claim, _): claim.hasPrefix("/") ? nil : claim
        case .worktreeWithoutSession(_, let branch): branch
        case .corruptSessionFile, .registry: nil
        }
    }

    /// The file it concerns, if one.
    public var file: String? {
        switch self {
        case .corruptSessionFile(let file, _, _): file
        case .interruptedOperation(.unreadableRecord(let file)): file
        case .registry(.notPushed(_, _, .changedSinceSync(let file))): file
        default: nil
        }
    }
}
