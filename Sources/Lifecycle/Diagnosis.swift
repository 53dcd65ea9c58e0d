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
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _): ref.issue
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
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _): ref.worktree
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
             .staleSession(let ref, _, _), .mergedReadyToPrune(let ref, _, _): ref.branch
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

/// The one diagnosis: facts in, problems out, in a stable order. No I/O.
public enum Diagnosis {
    public static func diagnose(_ facts: DiagnosisFacts) -> [Problem] {
        var problems: [Problem] = facts.corruptFiles.map { .corruptSessionFile(file: $0.file, reason: $0.reason, quarantine: facts.quarantine) }
        problems += facts.operations.compactMap { operation(facts.scope, $0) }
        problems += facts.interruptedTrash.map {
            .interruptedOperation(.trashStep($0.state, issue: $0.issueNumber, worktree: $0.worktree, branch: $0.branch, pid: $0.pid))
        }
        problems += facts.unreadableRecords.map { .interruptedOperation(.unreadableRecord(file: $0)) }
        problems += facts.entries.compactMap(staleEntry)
        for session in facts.sessions { problems += self.session(session, now: facts.now, staleAfter: facts.staleAfter) }
        problems += duplicateClaims(facts.sessions)
        problems += facts.entries.filter { $0.state == .ok && !$0.claimed }.map { .worktreeWithoutSession(path: $0.path, branch: $0.branch) }
        problems += facts.registry.map(Problem.registry)
        return problems
    }

    /// An intent record: a killed or failed operation; a running one only in doctor's view
    /// (status shows what needs a human, and a running start is not that).
    static func operation(_ scope: DiagnosisFacts.Scope, _ op: DiagnosisFacts.Operation) -> Problem? {
        if op.live {
            guard scope == .repository else { return nil }
            return .interruptedOperation(.running(op.operation, issue: op.issue, worktree: op.worktree, branch: op.branch, pid: op.pid))
        }
        if let failure = op.failure {
            return .interruptedOperation(.failed(op.operation, issue: op.issue, worktree: op.worktree, branch: op.branch, failure: failure))
        }
        return .interruptedOperation(.killed(op.operation, issue: op.issue, worktree: op.worktree, branch: op.branch, pid: op.pid))
    }

    static func staleEntry(_ entry: DiagnosisFacts.Entry) -> Problem? {
        guard entry.state != .ok, !entry.isLocked, !entry.inUse else { return nil }
        let path = entry.path.isEmpty ? nil : entry.path
        if entry.state == .undecodablePath { return .staleWorktreeEntry(.undecodablePath(name: entry.name, branch: entry.branch)) }
        if entry.state != .halfMade, entry.holdsStagedWork {
            return .staleWorktreeEntry(.holdsStagedWork(name: entry.name, path: path, branch: entry.branch))
        }
        return .staleWorktreeEntry(.prunable(name: entry.name, path: path, branch: entry.branch, halfMade: entry.state == .halfMade))
    }

    static func session(_ facts: DiagnosisFacts.SessionFacts, now: Date, staleAfter: TimeInterval) -> [Problem] {
        let session = facts.session
        let ref = Problem.SessionRef(session)
        let terminal = session.status.isTerminal
        var problems: [Problem] = []
        switch facts.checkout {
        case .checkedOut(let head):
            if head != .branch(session.branch) { problems.append(.branchMismatch(ref, .checkedOut(head))) }
        case .entryWithoutFolder, .noEntry:
            if facts.operationRunning { break }
            if facts.folderExists {
                problems.append(.sessionWithoutWorktree(ref, .folderWithoutEntry))
            } else if !terminal {
                // Its disk may be unmounted: the entry (index, HEAD) must survive until it is back.
                problems.append(.sessionWithoutWorktree(ref, .missing(status: session.status, parentMissing: !facts.parentExists,
                                                                      entryKept: facts.checkout == .entryWithoutFolder,
                                                                      branchExists: facts.branchExists)))
            } else if session.extra[Session.worktreeGoneKey] == nil {
                problems.append(.sessionWithoutWorktree(ref, .finishedUnmarked))
            }
        }
        if let holder = facts.branchHeldBy, !terminal { problems.append(.branchMismatch(ref, .heldBy(holder))) }
        // A finished session with neither worktree entry nor branch is simply over.
        if !facts.branchExists && !(terminal && facts.checkout == .noEntry) { problems.append(.branchMissing(ref)) }
        if session.status.isActive, now.timeIntervalSince(session.lastUpdate) > staleAfter {
            problems.append(.staleSession(ref, status: session.status, idle: now.timeIntervalSince(session.lastUpdate)))
        }
        let worktreeExists = if case .checkedOut = facts.checkout { true } else { false }
        if terminal, let merged = facts.merged, worktreeExists || facts.branchExists {
            problems.append(.mergedReadyToPrune(ref, merged: merged, ownCommits: facts.hasOwnCommits))
        }
        return problems
    }

    /// Worktree paths and branches that more than one session claims.
    static func duplicateClaims(_ sessions: [DiagnosisFacts.SessionFacts]) -> [Problem] {
        var claims: [String: [IssueNumber]] = [:]
        for facts in sessions where !facts.session.status.isTerminal || facts.session.extra[Session.worktreeGoneKey] == nil {
            claims[facts.canonicalWorktree, default: []].append(facts.session.issue)
            claims[facts.session.branch, default: []].append(facts.session.issue)
        }
        return claims.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { .duplicateClaim(claim: $0.key, claimants: $0.value) }
    }
}
