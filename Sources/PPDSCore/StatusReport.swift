import Foundation
import GitKit
import SessionKit

/// The orchestrator view's groups, in display order.
public enum StatusGroup: String, CaseIterable, Sendable {
    case working, stuck, planReady, prReady, planning, paused, cancelled, other

    public static func of(_ status: SessionStatus) -> StatusGroup {
        switch status {
        case .working: .working
        case .stuck: .stuck
        case .planningComplete: .planReady
        case .complete: .prReady
        case .registered, .planning: .planning
        case .paused: .paused
        case .cancelled: .cancelled
        case .other: .other
        }
    }
}

/// Something git says that the session file does not.
public struct StatusProblem: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case worktreeMissing, branchMissing, branchMismatch, mergedReadyToPrune, stale, corruptSessionFile
    }

    public let kind: Kind
    public let issue: IssueNumber?
    public let file: String?
    public let message: String

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["kind": .string(kind.rawValue), "message": .string(message)]
        fields["issue"] = issue.map { .string($0.tag) } ?? .null
        if let file { fields["file"] = .string(file) }
        return .object(fields)
    }
}

/// One session with its git state.
public struct SessionView: Sendable {
    public let session: Session
    public let git: SessionGitState

    public init(session: Session, git: SessionGitState) {
        self.session = session
        self.git = git
    }

    public var json: JSONValue {
        var object = session.json
        object["git"] = git.json
        return object.objectValue
    }
}

/// The orchestrator view: session files and git state together.
public struct StatusReport: Sendable {
    public var sessions: [SessionView]
    public var problems: [StatusProblem]
    public var generatedAt: Date

    public struct Options: Sendable {
        public var includeGone: Bool
        public var staleAfter: TimeInterval
        public var includeDirty: Bool

        public init(includeGone: Bool = false, staleAfter: TimeInterval = 120 * 60, includeDirty: Bool = false) {
            self.includeGone = includeGone
            self.staleAfter = staleAfter
            self.includeDirty = includeDirty
        }
    }

    /// Builds the view for the workspace's repository. Sessions of other repositories are left
    /// out. Git facts are read in-process, on up to `jobs` threads, each with its own handle.
    public static func build(_ workspace: Workspace, options: Options = Options(), now: Date = Date(),
                             jobs: Int = ProcessInfo.processInfo.activeProcessorCount) throws(PPDSError) -> StatusReport {
        let listing = workspace.store.list()
        var problems: [StatusProblem] = listing.errors.map {
            StatusProblem(kind: .corruptSessionFile, issue: nil, file: $0.file, message: "\($0.file): \($0.reason)")
        }
        let sessions = listing.sessions.filter { workspace.owns($0) }
        let worktrees: [WorktreeInfo]
        do { worktrees = try workspace.openRepository().worktrees() } catch { throw PPDSError.from(error) }
        let states = parallelMap(sessions, jobs: sessions.count < 16 ? 1 : jobs, context: {
            try? GitFactReader(repository: workspace.openRepository(), worktrees: worktrees)
        }) { reader, session in
            reader?.state(of: session, includeDirty: options.includeDirty) ?? SessionGitState()
        }
        var views: [SessionView] = []
        for (session, git) in zip(sessions, states) {
            if session.status.isTerminal && !git.worktreeExists && !git.branchExists && !options.includeGone { continue }
            views.append(SessionView(session: session, git: git))
            problems += Self.problems(session, git, options: options, now: now)
        }
        return StatusReport(sessions: views, problems: problems, generatedAt: now)
    }

    static func problems(_ session: Session, _ git: SessionGitState, options: Options, now: Date) -> [StatusProblem] {
        var found: [StatusProblem] = []
        func add(_ kind: StatusProblem.Kind, _ message: String) {
            found.append(StatusProblem(kind: kind, issue: session.issue, file: nil, message: message))
        }
        let terminal = session.status.isTerminal
        if !git.worktreeExists && !terminal { add(.worktreeMissing, "worktree \(session.worktree) is gone") }
        if !git.branchExists && !terminal { add(.branchMissing, "branch \(session.branch) does not exist") }
        if git.worktreeExists, let other = git.checkedOutBranch {
            add(.branchMismatch, "the worktree has \(other) checked out, not \(session.branch)")
        }
        if let holder = git.branchHeldBy, !terminal {
            add(.branchMismatch, "\(session.branch) is checked out in \(holder), not in the session's worktree")
        }
        if terminal, let merged = git.merged, git.worktreeExists || git.branchExists {
            if git.hasOwnCommits == false {
                add(.mergedReadyToPrune, "no commits of its own; 'ppds prune' cleans it up once older than --min-age")
            } else {
                add(.mergedReadyToPrune, "merged (\(merged.rawValue)); 'ppds prune' will clean it up")
            }
        }
        if session.status.isActive, now.timeIntervalSince(session.lastUpdate) > options.staleAfter {
            add(.stale, "no update for \(Duration.describe(now.timeIntervalSince(session.lastUpdate)))")
        }
        return found
    }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["generatedAt"] = .string(Timestamp.format(generatedAt))
        out["sessions"] = .array(sessions.map(\.json))
        out["problems"] = .array(problems.map(\.json))
        return out
    }
}

extension Workspace {
    /// A session belongs to this repository when its `repo` key names it, or has none
    /// (files from other tools).
    /// Whether the session belongs to this repository: the same folder by identity (device
    /// and inode), so a repository reached by two paths (a bind mount, a symlinked home) is
    /// one repository.
    public func owns(_ session: Session) -> Bool {
        guard let repo = session.repo else { return true }
        return samePlace(repo, repoRoot)
    }
}

/// Human durations: `45 s`, `15 min`, `2 h 5 min`, `3 d 4 h`.
public enum Duration {
    public static func describe(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total) s" }
        let minutes = total / 60
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 24 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return hours % 24 == 0 ? "\(hours / 24) d" : "\(hours / 24) d \(hours % 24) h"
    }

    /// Parses `90`, `90s`, `15m`, `2h`, `1d` (a bare number is minutes).
    public static func parse(_ text: String, bareUnit: TimeInterval = 60) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, TimeInterval)] = [("min", 60), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return value * scale
        }
        guard let value = Double(trimmed), value >= 0, value.isFinite else { return nil }
        return value * bareUnit
    }
}
