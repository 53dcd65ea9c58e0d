import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore
import Replication
import Agents
import Forge

/// What `start-work` asks for.
public struct StartWorkRequest: Sendable {
    public var issues: [IssueNumber]
    public var base: String?
    /// Titles and labels already known (from `--title`, or a caller that has them); others
    /// come from gh unless offline.
    public var known: [IssueNumber: IssueInfo]
    public var type: String?
    public var jobs: Int
    public var offline: Bool
    public var runHooks: Bool
    /// An existing local branch to use instead of creating one (one issue).
    public var branch: String?
    /// A command run (argv, no shell) in each worktree start-work makes, like `spawn`.
    public var exec: [String]
    /// Agent hooks to write into each worktree start-work makes (before hooks and spawn run):
    /// the agent and the ppds executable the hooks call.
    public var agent: (kind: AgentKind, executable: String)?
    /// Start even an issue that gh says does not exist or is closed.
    public var force: Bool = false

    public init(issues: [IssueNumber], base: String? = nil, known: [IssueNumber: IssueInfo] = [:], type: String? = nil,
                jobs: Int = 1, offline: Bool = false, runHooks: Bool = true, branch: String? = nil, exec: [String] = [],
                agent: (kind: AgentKind, executable: String)? = nil) {
        self.branch = branch
        self.exec = exec
        self.agent = agent
        self.issues = issues
        self.base = base
        self.known = known
        self.type = type
        self.jobs = jobs
        self.offline = offline
        self.runHooks = runHooks
    }
}

/// One issue's result: what became of it (with what each outcome has), then what ran and
/// was copied on the way.
public struct StartResult: Sendable {
    public enum Outcome: Sendable {
        /// Branch, worktree and session were created.
        case started(Session)
        /// A live session for the issue exists; nothing changed.
        case existing(Session)
        /// A live session's worktree folder was gone: it was made again from the session's
        /// branch (which holds the work). The session file is unchanged; hooks do not run.
        case recreated(Session, note: String)
        /// Nothing of the issue remains (all-or-nothing); the error keeps its kind to the edge.
        case failed(PPDSError)
        /// Another machine holds the issue's claim on the registry remote; nothing was created.
        case claimedElsewhere(message: String)

        /// The outcome's name in the JSON.
        public var name: String {
            switch self {
            case .started: "started"
            case .existing: "existing"
            case .recreated: "recreated"
            case .failed: "failed"
            case .claimedElsewhere: "claimedElsewhere"
            }
        }
    }

    public var issue: IssueNumber
    public var outcome: Outcome
    public var hooks: [HookResult] = []
    public var warnings: [String] = []
    public var copied: [String] = []

    public init(issue: IssueNumber, outcome: Outcome) {
        self.issue = issue
        self.outcome = outcome
    }

    /// The session the issue has now, unless it failed or is claimed elsewhere.
    public var session: Session? {
        switch outcome {
        case .started(let session), .existing(let session), .recreated(let session, _): session
        case .failed, .claimedElsewhere: nil
        }
    }

    /// The error, when it failed.
    public var failure: PPDSError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }

    /// Nothing was made: it failed or another machine holds the claim.
    public var isRefusal: Bool { session == nil }

    /// A configured hook failed (the session stays `registered`).
    public var hookFailed: Bool { hooks.contains { $0.outcome == .failed } }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["issue": .string(issue.tag), "outcome": .string(outcome.name)]
        switch outcome {
        case .started, .existing: fields["reason"] = .null
        case .recreated(_, let note): fields["reason"] = .string(note)
        case .failed(let error):
            fields["reason"] = .string(error.message)
            fields["reasonKind"] = .string(error.reason.rawValue)
        case .claimedElsewhere(let message): fields["reason"] = .string(message)
        }
        if let session {
            fields["id"] = .string(session.id)
            fields["branch"] = .string(session.branch)
            fields["worktree"] = .string(session.worktree)
            fields["status"] = .string(session.status.fileValue)
            fields["title"] = session.title.map(JSONValue.string) ?? .null
            fields["base"] = session.base.map(JSONValue.string) ?? .null
            fields["baseCommit"] = session.baseCommit.map(JSONValue.string) ?? .null
        }
        if !hooks.isEmpty { fields["hooks"] = .array(hooks.map(\.json)) }
        if !warnings.isEmpty { fields["warnings"] = .array(warnings.map(JSONValue.string)) }
        if !copied.isEmpty { fields["copied"] = .array(copied.map(JSONValue.string)) }
        return .object(fields)
    }
}

/// A whole start-work run: each issue's result, the run's warnings, and the contract's exit
/// policy, the same for every front end.
public struct StartWorkReport: Sendable {
    public var results: [StartResult]
    public var warnings: [String]

    public init(results: [StartResult], warnings: [String]) {
        self.results = results
        self.warnings = warnings
    }

    /// Why the run as a whole did not succeed, as an error kind the edge maps (exit code, HTTP
    /// status); nil when it did. A bulk item that failed, or a failed hook, is `.failed` (exit
    /// 1); one issue alone keeps its failure's kind (2 for no such issue, a corrupt file, a
    /// refusal); another machine's claim is a refusal.
    public var failure: PPDSError.Reason? {
        let failed = results.compactMap(\.failure)
        if results.contains(where: \.hookFailed) { return .failed }
        if failed.count == 1, results.count == 1 { return failed[0].reason }
        if !failed.isEmpty { return .failed }
        if results.contains(where: { if case .claimedElsewhere = $0.outcome { true } else { false } }) { return .refused }
        return nil
    }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["results"] = .array(results.map(\.json))
        if !warnings.isEmpty { out["warnings"] = .array(warnings.map(JSONValue.string)) }
        return out
    }
}

/// start-work: for each issue, the branch from the base, the worktree, the session file
/// (`registered`), then hooks and the worker spawn. All-or-nothing per issue, crash-safe
/// through an intent record, and idempotent for an issue that already has a live session.
public struct StartWork: Sendable {
    public let workspace: Workspace
    public let config: Config
    public var now: @Sendable () -> Date = { Date() }

    public init(workspace: Workspace, config: Config) {
        self.workspace = workspace
        self.config = config
    }

    var intents: IntentStore { IntentStore(home: workspace.store.home) }

    /// Said once per run: titles would come from gh, but it is not on PATH.
    public static let ghMissingWarning = "gh is not on PATH: branches are named from issue numbers; pass --title or install gh"

    /// Warnings about the run as a whole (not one issue): gh missing when titles are wanted.
    public func runWarnings(_ request: StartWorkRequest) -> [String] {
        let wantsGh = !request.offline && request.issues.contains { request.known[$0]?.title == nil }
        return wantsGh && ProcessRunner.find("gh") == nil ? [Self.ghMissingWarning] : []
    }

    /// The start-work operation: every issue attempted, with the run's warnings.
    public func report(_ request: StartWorkRequest) -> StartWorkReport {
        let warnings = runWarnings(request)
        return StartWorkReport(results: run(request), warnings: warnings)
    }

    /// Attempts every issue (in parallel up to `jobs`), returning results in input order.
    public func run(_ request: StartWorkRequest) -> [StartResult] {
        var seen = Set<IssueNumber>()
        let issues = request.issues.filter { seen.insert($0).inserted }
        // Several worktrees of one base hold the same blobs: inflate each from the pack once.
        let sharesBlobs = issues.count > 1
        if sharesBlobs { InflatedBlobCache.shared.begin(limit: 128 << 20, largest: 8 << 20) }
        defer { if sharesBlobs { InflatedBlobCache.shared.end() } }
        return parallelMap(issues, jobs: request.jobs) { issue in
            self.start(issue, request: request)
        }
    }

    func start(_ issue: IssueNumber, request: StartWorkRequest) -> StartResult {
        // The outcome is set once the issue's fate is known; until then it has failed.
        var result = StartResult(issue: issue, outcome: .failed(PPDSError.failed("\(issue.tag) failed")))
        do {
            let outcome: StartResult.Outcome = try workspace.store.withLock(issue) { () throws -> StartResult.Outcome in
                let repository = try workspace.openRepository()
                for operation in Intent.Operation.rolledBack {
                    guard let intent = intents.load(operation, issue.value, repo: workspace.repoRoot) else { continue }
                    let recovery = Recovery(workspace: workspace, repository: repository)
                    guard recovery.rollBackStart(intent).done else {
                        throw PPDSError.refused("\(issue.tag): an interrupted \(operation.rawValue) left work behind that ppds will not remove; run 'ppds doctor'")
                    }
                }
                if let existing = try workspace.store.loadIfPresent(issue) {
                    if !workspace.owns(existing) {
                        throw PPDSError.conflict("\(issue.tag): \(workspace.store.path(for: issue)) belongs to the repository \(existing.repo ?? "?"), not \(workspace.repoRoot)")
                    }
                    guard existing.status.isTerminal else {
                        if let note = try recreateIfGone(existing, repository: repository, result: &result) {
                            return .recreated(existing, note: note)
                        }
                        return .existing(existing)
                    }
                    throw PPDSError.conflict("\(issue.tag): a finished session (\(existing.status.fileValue)) is still recorded; 'ppds prune \(issue.value) --min-age 0s' clears it once its work is merged (unmerged work stays where it is, and prune says why)")
                }
                // With a registry remote, the claim comes first: another machine's claim stops
                // the issue before anything local exists.
                var claims: RegistryClaims?
                if let remote = config.registryRemote {
                    let claimer = RegistryClaims(workspace: workspace, remote: remote, machine: try Machine.current(home: workspace.store.home))
                    do {
                        let claimed = try claimer.claimReporting(issue, now: now())
                        if claimed.outcome == .claimed { claims = claimer }
                        if let warning = claimed.warning { result.warnings.append(warning) }
                    } catch let error as PPDSError where error.reason == .conflict {
                        return .claimedElsewhere(message: error.message)
                    }
                }
                do {
                    return .started(try create(issue, request: request, repository: repository, result: &result))
                } catch {
                    // A claim made for a start that failed is given back.
                    _ = try? claims?.release(issue)
                    throw error
                }
            }
            result.outcome = outcome
            // Before post_create and spawn, so an agent spawned there already has its hooks.
            let made: Session?
            switch outcome {
            case .started(let session), .recreated(let session, _): made = session
            case .existing, .failed, .claimedElsewhere: made = nil
            }
            if let agent = request.agent, let session = made {
                result.hooks.append(AgentHooks.installResult(for: session, workspace: workspace, agent: agent.kind, executable: agent.executable))
            }
            if case .started(let created) = outcome, request.runHooks {
                result.hooks += Hooks.runAfterCreate(created, config: config, home: workspace.store.home)
            }
            if !request.exec.isEmpty, let session = made, let hazard = Hooks.formatHazard(.argv(request.exec), for: session) {
                result.hooks.append(HookResult(kind: "exec", command: CommandSpec.argv(request.exec).display, outcome: .failed, message: hazard))
            } else if !request.exec.isEmpty, let session = made {
                result.hooks.append(Hooks.spawn(kind: "exec", argv: Hooks.argv(.argv(request.exec), for: session),
                                                display: CommandSpec.argv(request.exec).display, session: session,
                                                home: workspace.store.home))
            }
        } catch {
            result.outcome = .failed(PPDSError.from(error))
        }
        return result
    }

    /// The git and file work for one issue, under its lock. Undoes everything on failure.
    private func create(_ issue: IssueNumber, request: StartWorkRequest, repository: Repository,
                        result: inout StartResult) throws -> Session {
        var info = request.known[issue] ?? IssueInfo(issue: issue)
        if request.known[issue] == nil && !request.offline {
            switch IssueSource.lookup(issue, repoRoot: workspace.repoRoot) {
            case .found(let found): info = found
            case .missing(let reason) where !request.force:
                throw PPDSError.notFound("\(issue.tag): gh says this repository has no such issue (\(reason)); nothing was created. Check the number, or pass --force to start it anyway")
            case .missing(let reason): result.warnings.append("gh says \(issue.tag) does not exist (\(reason)); started anyway (--force)")
            case .closed where !request.force:
                throw PPDSError.refused("\(issue.tag) is closed on the tracker; nothing was created. Reopen it, or pass --force to start it anyway")
            case .closed(let found):
                info = found
                result.warnings.append("\(issue.tag) is closed on the tracker; started anyway (--force)")
            case .unchecked(let warning): if let warning { result.warnings.append(warning) }
            }
        }
        let type = Naming.type(given: request.type, labels: info.labels, title: info.title, config: config)
        guard Naming.isValidType(type) else {
            throw PPDSError.usage("\(issue.tag): type '\(type)' must be lower-case letters, digits, '-' or '_'")
        }
        let base = try BaseResolver.resolve(given: request.base, config: config, repository: repository)
        var start = base.commit
        if let existing = request.branch {
            guard let branch = try repository.branch(existing) else {
                throw PPDSError.notFound("\(issue.tag): there is no local branch '\(existing)'")
            }
            if let holder = try repository.worktreeHolding(branch: existing) {
                throw PPDSError.conflict("\(issue.tag): the branch \(existing) is checked out at \(holder); a branch can be checked out in one worktree only")
            }
            if claimed().branches.contains(existing) {
                throw PPDSError.conflict("\(issue.tag): the branch \(existing) belongs to another session or a start in progress")
            }
            start = branch.target
        }
        let slug = Naming.slug(info.title ?? request.branch.map { ($0 as NSString).lastPathComponent }, issue: issue)

        // Names are chosen and claimed (intent record + branch) under one lock, so parallel
        // starts never pick the same folder or branch.
        let (names, intent) = try workspace.store.withNamingLock { () throws -> (ChosenNames, Intent) in
            let claims = claimed()
            let chooser = NameChooser(repository: repository, config: config, repoRoot: workspace.repoRoot,
                                      claimedBranches: claims.branches, claimedPaths: claims.paths)
            let names = try chooser.choose(issue: issue, type: type, slug: slug, branch: request.branch)
            if let notice = names.notice { result.warnings.append(notice) }
            let intent = Intent(operation: .startWork, issue: issue.value, repo: workspace.repoRoot, branch: names.branch,
                                worktree: names.worktree, adminName: names.adminName, commit: start.hex,
                                pid: getpid(), created: Timestamp.format(now()),
                                existingBranch: request.branch == nil ? nil : true)
            try intents.record(intent)
            do {
                try FaultInjection.checkpoint("afterIntent")
                if request.branch == nil { try repository.createBranch(names.branch, at: base.commit) }
            } catch {
                intents.clear(intent)
                throw error
            }
            return (names, intent)
        }
        do {
            try FaultInjection.checkpoint("afterBranch")
            let parent = (names.worktree as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try repository.addWorktree(name: names.adminName, path: names.worktree, branch: names.branch, external: GitCLICheckout())
            try FaultInjection.checkpoint("afterWorktree")
            let copies = CopyIgnored.copy(patterns: config.copy, from: workspace.repoRoot, to: names.worktree, repository: repository)
            result.copied = copies.copied
            result.warnings += copies.warnings
            var session = Session(issue: issue, status: .registered, branch: names.branch, worktree: names.worktree,
                                  started: now(), title: info.title, repo: workspace.repoRoot,
                                  base: base.name, baseCommit: base.commit.hex)
            if !info.labels.isEmpty { session.extra["labels"] = .array(info.labels.map(JSONValue.string)) }
            // Which machine runs it: sync keeps other machines' sessions apart from this one's.
            session.machine = try Machine.current(home: workspace.store.home)
            // Its ports are chosen and recorded under one lock: no two sessions get one block.
            try PortAllocation.allocate(store: workspace.store, config: config, for: issue, repo: workspace.repoRoot) { ports in
                session.ports = ports
                try workspace.store.save(session)
            }
            try FaultInjection.checkpoint("afterSession")
            intents.clear(intent)
            session = try workspace.store.load(issue)
            return session
        } catch {
            let recovery = Recovery(workspace: workspace, repository: repository)
            let undone = recovery.rollBackStart(intent, removeSession: true)
            if !undone.done { result.warnings += undone.notes }
            throw error
        }
    }

    /// A live session whose folder was deleted by hand (nothing at the path, not even a
    /// dangling link) gets its worktree back, from its branch. git's admin entry for the folder,
    /// when stale, is pruned first; an entry that is locked, or a branch checked out elsewhere,
    /// is refused. Returns what was done, or nil (nothing done) when the folder exists.
    private func recreateIfGone(_ session: Session, repository: Repository, result: inout StartResult) throws -> String? {
        var facts = stat()
        guard lstat(session.worktree, &facts) != 0, errno == ENOENT else { return nil }
        let issue = session.issue
        guard (try repository.branch(session.branch)) != nil else {
            throw PPDSError.notFound("\(issue.tag): the worktree \(session.worktree) is gone and so is the branch \(session.branch); run 'ppds cancel \(issue.value)' or 'ppds prune \(issue.value)'")
        }
        // A missing parent folder is more likely a disk that is not mounted than a folder someone
        // removed: recreating there would hide the real worktree once the disk is back.
        let parent = (session.worktree as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: parent) else {
            throw PPDSError.refused("\(issue.tag): the worktree's parent folder \(parent) is missing too (a disk that is not mounted?); nothing was done")
        }
        let entries = try repository.worktrees()
        let wanted = canonicalPath(session.worktree)
        var stale: [WorktreeInfo] = []
        for entry in entries where !entry.path.isEmpty && canonicalPath(entry.path) == wanted || entry.head == .branch(session.branch) {
            guard entry.state == .folderMissing && !entry.isMain else {
                throw PPDSError.conflict("\(issue.tag): the worktree \(session.worktree) is gone, but \(session.branch) is checked out at \(entry.isMain ? entry.path : entry.path.isEmpty ? entry.name : entry.path)")
            }
            guard !entry.isLocked else {
                throw PPDSError.conflict("\(issue.tag): the worktree \(session.worktree) is gone, but git's entry '\(entry.name)' for it is locked; run 'git worktree unlock \(entry.name)' and retry")
            }
            stale.append(entry)
        }
        if !stale.isEmpty {
            // Only these entries: another start running now may have an entry that looks stale
            // for a moment (made, its folder not yet), and it must not be pruned from under it.
            try repository.pruneStaleWorktrees(only: Set(stale.map(\.name)))
            if let kept = stale.first(where: { repository.worktree(named: $0.name) != nil }) {
                throw PPDSError.conflict("\(issue.tag): git's stale entry '\(kept.name)' for \(session.worktree) could not be pruned (it holds commits found nowhere else); run 'ppds doctor'")
            }
        }
        var recreating: Intent?
        try workspace.store.withNamingLock { () throws in
            let inFlight = Set(intents.all().intents.compactMap(\.adminName))
            let current = try repository.worktrees().map(\.name)
            let adminNames = Set(current).union(inFlight)
            var admin = Naming.adminName(for: session.worktree)
            var suffix = 2
            while adminNames.contains(admin) || FileManager.default.fileExists(atPath: repository.worktreesAdminDir + "/" + admin) {
                admin = Naming.adminName(for: session.worktree) + "-\(suffix)"
                suffix += 1
            }
            // Recorded first: a recreate killed half-way leaves a worktree with files missing,
            // which a rerun would otherwise take for the session's own ("existing").
            guard let tip = try repository.branch(session.branch)?.target else {
                throw PPDSError.notFound("\(issue.tag): the branch \(session.branch) is gone")
            }
            let intent = Intent(operation: .recreate, issue: issue.value, repo: workspace.repoRoot, branch: session.branch,
                                worktree: session.worktree, adminName: admin, commit: tip.hex, pid: getpid(),
                                created: Timestamp.format(now()), existingBranch: true)
            try intents.record(intent)
            recreating = intent
        }
        guard let intent = recreating else { return nil }
        do {
            try repository.addWorktree(name: intent.adminName!, path: session.worktree, branch: session.branch, external: GitCLICheckout())
            try FaultInjection.checkpoint("afterRecreate")
        } catch {
            let undone = Recovery(workspace: workspace, repository: repository).rollBackStart(intent)
            if !undone.done { result.warnings += undone.notes }
            throw error
        }
        let copies = CopyIgnored.copy(patterns: config.copy, from: workspace.repoRoot, to: session.worktree, repository: repository)
        intents.clear(intent)
        result.copied = copies.copied
        result.warnings += copies.warnings
        return "the worktree folder was gone; made it again from \(session.branch)"
            + (stale.isEmpty ? "" : " (pruned git's stale entry '\(stale.map(\.name).joined(separator: "', '"))')")
    }

    /// Branches and folders that sessions and in-flight starts hold.
    private func claimed() -> (branches: Set<String>, paths: Set<String>) {
        var branches = Set<String>(), paths = Set<String>()
        for session in workspace.store.list().sessions where workspace.owns(session) {
            branches.insert(session.branch)
            paths.insert(canonicalPath(session.worktree))
        }
        for intent in intents.all().intents where intent.repo == workspace.repoRoot {
            branches.insert(intent.branch)
            paths.insert(canonicalPath(intent.worktree))
        }
        return (branches, paths)
    }
}

extension SessionStore {
    /// A store-wide lock for choosing names.
    public func withNamingLock<T>(_ body: () throws -> T) throws -> T {
        try withNamedLock("naming", body)
    }
}
