import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import LifecycleCore
import Replication
import Forge
import Agents

/// The orchestrator view's groups, in display order.
public enum StatusGroup: String, CaseIterable, Sendable {
    /// In the order people read them: what needs a human first.
    case stuck, planReady, prReady, working, planning, starting, paused, complete, cancelled, other

    /// The group of a session: `complete` with a PR is "PR Ready", without one "Complete".
    public static func of(_ session: Session) -> StatusGroup {
        switch session.status {
        case .working: .working
        case .stuck: .stuck
        case .planningComplete: .planReady
        case .complete: session.pr == nil ? .complete : .prReady
        case .registered: .starting
        case .planning: .planning
        case .paused: .paused
        case .cancelled: .cancelled
        case .other: .other
        }
    }

    /// The group's name as people read it, the same in the CLI, the README and the dashboard.
    public var title: String {
        switch self {
        case .stuck: "Stuck"
        case .planReady: "Plan ready for review"
        case .prReady: "PR Ready"
        case .working: "Working"
        case .planning: "Planning"
        case .starting: "Starting"
        case .paused: "Paused"
        case .complete: "Complete (no PR)"
        case .cancelled: "Cancelled"
        case .other: "Other status"
        }
    }
}

/// One session with its git state.
public struct SessionView: Sendable {
    public let session: Session
    public let git: SessionGitState
    /// Who sent each guidance message that came from another machine, as this machine judges
    /// it (`home`'s trust file); empty when every message was written here.
    public let origins: [String: GuidanceOrigin]
    /// The PR's state on the forge as last fetched (`status --prs`, watch, serve); a hint only.
    public var pullRequest: PullRequestStatus?
    /// The agent as /proc showed it when the view was built (`observedAt`).
    public var agent: AgentLiveness = .none
    public var observedAt = Date()

    public init(session: Session, git: SessionGitState, home: String? = nil) {
        self.session = session
        self.git = git
        if let home, session.guidance.contains(where: { $0.extra[GuidanceOrigin.key] != nil }) {
            origins = Dictionary(session.guidanceWithOrigin(home: home).filter { !$0.origin.isLocal }.map { ($0.guidance.id, $0.origin) },
                                 uniquingKeysWith: { a, _ in a })
        } else {
            origins = [:]
        }
    }

    init(session: Session, git: SessionGitState, origins: [String: GuidanceOrigin]) {
        self.session = session
        self.git = git
        self.origins = origins
    }

    /// This view for the worker: every message this machine does not relay has its words
    /// replaced by who sent it and where people can read it.
    public func withholding() -> SessionView {
        var session = session
        session.guidance = session.guidance.map { item in
            guard let origin = origins[item.id], !origin.verdict.acts else { return item }
            var item = item
            item.message = "[not relayed: \(origin.described); 'ppds show \(session.issue.value)' outside this worktree reads it]"
            return item
        }
        var view = SessionView(session: session, git: git, origins: origins)
        view.pullRequest = pullRequest
        view.agent = agent
        view.observedAt = observedAt
        return view
    }

    /// Unread messages held back from the worker: from an untrusted or unverified machine.
    public var held: [(guidance: Guidance, origin: GuidanceOrigin)] {
        session.undeliveredGuidance.compactMap { item in origins[item.id].flatMap { $0.verdict.acts ? nil : (item, $0) } }
    }

    public var json: JSONValue {
        var object = SessionView.withAnswer(session)
        object["git"] = git.json
        // The one grouping every front end shows (StatusGroup.of), by name.
        object["group"] = .string(StatusGroup.of(session).rawValue)
        // The plan at a glance (the whole of every version is in `plans`).
        if let plan = session.planSummary { object["planSummary"] = plan.json }
        if let pullRequest {
            // The same words as the CLI's, for the dashboard.
            var pr = pullRequest.json.objectValue ?? [:]
            pr["summary"] = .string(PullRequestText.describe(pullRequest, mergedInGit: git.merged != nil && git.hasOwnCommits != false))
            object["pullRequest"] = .object(pr)
        }
        // Whether the agent ppds started is alive, computed when read (`agentProcess` is the record).
        if session.agent != nil { object["agentLiveness"] = AgentText.json(agent) }
        if session.pr != nil { object["reviewRank"] = .int(Int64(ReviewQueue.rank(pullRequest))) }
        // The sender of each message from elsewhere, and whether it is relayed to the worker
        // (the `from` inside a message is what its sender claims; this is what this machine checked).
        if !origins.isEmpty {
            object["guidanceFrom"] = .object(origins.mapValues { origin in
                var out = origin.json.objectValue ?? [:]
                out["described"] = .string(origin.described)
                return .object(out)
            })
        }
        return object.objectValue
    }

    /// The session file's JSON plus, for a stuck session with an answer, `"answer"`.
    public static func withAnswer(_ session: Session) -> OrderedJSON {
        var object = session.json
        if let answer = session.stuckAnswer {
            object["answer"] = .object([
                "state": .string(answer.state.rawValue),
                "answeredAt": .string(Timestamp.format(answer.answeredAt)),
                "readAt": answer.readAt.map { .string(Timestamp.format($0)) } ?? .null,
            ])
        }
        return object
    }
}

/// The orchestrator view: session files and git state together.
public struct StatusReport: Sendable {
    public var sessions: [SessionView]
    /// The one diagnosis's problems of the sessions shown (`Diagnosis.diagnose`, session scope).
    public var problems: [Problem]
    public var generatedAt: Date

    public struct Options: Sendable {
        public var includeGone: Bool
        public var staleAfter: TimeInterval
        public var includeDirty: Bool

        public init(includeGone: Bool = false, staleAfter: TimeInterval = Doctor.defaultStaleAfter, includeDirty: Bool = false) {
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
        var facts = DiagnosisFacts(scope: .sessions, now: now, staleAfter: options.staleAfter, quarantine: workspace.store.quarantineDir)
        facts.corruptFiles = listing.errors.map { DiagnosisFacts.CorruptFile(file: $0.file, reason: $0.reason) }
        // Interrupted work is visible where people look, not only in doctor.
        facts.operations = DiagnosisFacts.operations(workspace)
        let running = Set(facts.operations.filter(\.live).map { canonicalPath($0.worktree) })
        let sessions = listing.sessions.filter { workspace.owns($0) }
        // Liveness is read now, never stored: a killed agent shows at the next refresh.
        let machineID = sessions.contains { $0.agent != nil } ? (try? Machine.current(home: workspace.store.home))?.id : nil
        let processes = AgentLiveness.snapshot(for: sessions)
        let worktrees: [WorktreeInfo]
        worktrees = try PPDSError.wrapping { try workspace.openRepository().worktrees() }
        let byPath = Dictionary(worktrees.filter { !$0.path.isEmpty }.map { (canonicalPath($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        let read = parallelMap(sessions, jobs: sessions.count < 16 ? 1 : jobs, context: {
            try? GitFactReader(repository: workspace.openRepository(), worktrees: worktrees)
        }) { reader, session -> (SessionGitState, DiagnosisFacts.SessionFacts?) in
            let git = reader?.state(of: session, includeDirty: options.includeDirty) ?? SessionGitState()
            guard let reader else { return (git, nil) }
            let path = canonicalPath(session.worktree)
            return (git, DiagnosisFacts.SessionFacts.read(session, entry: byPath[path], canonicalWorktree: path, repository: reader.repository,
                                                          heldBy: git.branchHeldBy, operationRunning: running.contains(path),
                                                          merged: git.merged, hasOwnCommits: git.hasOwnCommits))
        }
        var views: [SessionView] = []
        let pullRequests = sessions.contains { $0.pr != nil } ? ForgeCache(workspace).loadPullRequests() : [:]
        for (session, (git, sessionFacts)) in zip(sessions, read) {
            if session.status.isTerminal && !git.worktreeExists && !git.branchExists && !options.includeGone { continue }
            var view = SessionView(session: session, git: git, home: workspace.store.home)
            view.pullRequest = PullRequestRefresh.cached(session, in: pullRequests)
            view.agent = AgentLiveness.observe(session, machineID: machineID, now: now, processes: processes)
            view.observedAt = now
            views.append(view)
            if var sessionFacts {
                sessionFacts.agent = view.agent
                facts.sessions.append(sessionFacts)
            }
        }
        return StatusReport(sessions: views, problems: Diagnosis.diagnose(facts), generatedAt: now)
    }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["generatedAt"] = .string(Timestamp.format(generatedAt))
        out["sessions"] = .array(sessions.map(\.json))
        out["problems"] = .array(problems.map(ProblemText.statusJSON))
        out["groups"] = .array(StatusGroup.allCases.map { .object(["name": .string($0.rawValue), "title": .string($0.title)]) })
        return out
    }
}
