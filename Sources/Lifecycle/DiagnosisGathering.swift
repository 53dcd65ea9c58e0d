import Foundation
import GitKit
import SessionKit
import Agents
import Support
import LifecycleCore

extension DiagnosisFacts {
    /// Reads everything doctor judges, once: the session files, intent records, the trash's
    /// unfinished steps, git's worktree entries, each session's place in git, and the registry.
    public static func gather(_ workspace: Workspace, now: Date, staleAfter: TimeInterval) throws(PPDSError) -> DiagnosisFacts {
        let repository = try workspace.openRepository()
        var facts = DiagnosisFacts(scope: .repository, now: now, staleAfter: staleAfter, quarantine: workspace.store.quarantineDir)
        let listing = workspace.store.list()
        let records = IntentStore(home: workspace.store.home).all()
        let intents = records.intents.filter { $0.repo == workspace.repoRoot }
        facts.corruptFiles = listing.errors.map { CorruptFile(file: $0.file, reason: $0.reason) }
        facts.operations = intents.map(Operation.init)
        facts.interruptedTrash = Trash(workspace: workspace, repository: repository).interrupted()
        facts.unreadableRecords = records.unreadable

        let worktrees = try PPDSError.wrapping { try repository.worktrees() }
        let sessions = listing.sessions.filter { workspace.owns($0) }
        // Live records of any repository: an admin name or folder they hold is in use.
        let running = records.intents.filter(\.isLive)
        let runningNames = Set(running.compactMap(\.adminName))
        let runningPaths = Set(running.map { canonicalPath($0.worktree) })
        var index = WorktreeIndex(worktrees.filter { !$0.isMain })
        let liveClaims = Set(sessions.filter { !$0.status.isTerminal }.compactMap { index.worktree(at: $0.worktree)?.name })
        // A worktree an intent record names is explained by its interrupted operation.
        let claimedPaths = Set(sessions.map { canonicalPath($0.worktree) }).union(records.intents.map { canonicalPath($0.worktree) })
        facts.entries = worktrees.filter { !$0.isMain }.map { entry in
            let inUse = runningNames.contains(entry.name) || liveClaims.contains(entry.name)
            let judged = entry.state == .folderMissing && !entry.isLocked && !inUse
            return Entry(name: entry.name, path: entry.path, branch: entry.head.branchName, state: entry.state, isLocked: entry.isLocked,
                         inUse: inUse, claimed: entry.state == .ok && claimedPaths.contains(canonicalPath(entry.path)),
                         holdsStagedWork: judged && repository.adminIndexHoldsStagedWork(entry.name, head: entry.head))
        }
        var holders: [String: String] = [:]
        for worktree in worktrees {
            if let branch = worktree.head.branchName { holders[branch] = worktree.path.isEmpty ? worktree.name : worktree.path }
        }
        let byPath = Dictionary(worktrees.filter { !$0.path.isEmpty }.map { (canonicalPath($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        let machineID = sessions.contains { $0.agent != nil } ? (try? Machine.current(home: workspace.store.home))?.id : nil
        let processes = AgentLiveness.snapshot(for: sessions)
        facts.sessions = sessions.map { session in
            let path = canonicalPath(session.worktree)
            let entry = byPath[path]
            let holder = holders[session.branch].flatMap { $0 != session.worktree && $0 != entry?.path ? $0 : nil }
            var read = SessionFacts.read(session, entry: entry, canonicalWorktree: path, repository: repository,
                                         heldBy: holder, operationRunning: runningPaths.contains(path))
            read.agent = AgentLiveness.observe(session, machineID: machineID, now: now, processes: processes)
            return read
        }
        facts.registry = Doctor.registryFindings(repository, workspace: workspace, sessions: sessions)
        return facts
    }
}

extension DiagnosisFacts.Operation {
    init(_ intent: Intent) {
        self.init(operation: intent.operation, issue: intent.issueNumber, worktree: intent.worktree, branch: intent.branch,
                  pid: intent.pid, failure: intent.failure, live: intent.isLive)
    }
}

extension DiagnosisFacts {
    /// The intent records of the workspace's repository, for a session-level view.
    public static func operations(_ workspace: Workspace) -> [Operation] {
        IntentStore(home: workspace.store.home).all().intents.filter { $0.repo == workspace.repoRoot }.map(Operation.init)
    }
}

extension DiagnosisFacts.SessionFacts {
    /// One session's place in git: `entry` is git's entry at its worktree's path, if any.
    public static func read(_ session: Session, entry: WorktreeInfo?, canonicalWorktree: String, repository: Repository,
                            heldBy: String?, operationRunning: Bool,
                            merged: MergeCheck? = nil, hasOwnCommits: Bool? = nil) -> Self {
        let checkout: DiagnosisFacts.Checkout
        switch entry {
        case .some(let entry) where entry.isMain: checkout = .noEntry
        case .some(let entry) where entry.state == .ok: checkout = .checkedOut(entry.head)
        case .some: checkout = .entryWithoutFolder
        case .none: checkout = .noEntry
        }
        let parent = (session.worktree as NSString).deletingLastPathComponent
        return Self(session: session, checkout: checkout, folderExists: FileManager.default.fileExists(atPath: session.worktree),
                    parentExists: FileManager.default.fileExists(atPath: parent),
                    branchExists: (try? repository.branch(session.branch)) != nil, branchHeldBy: heldBy,
                    operationRunning: operationRunning, canonicalWorktree: canonicalWorktree,
                    merged: merged, hasOwnCommits: hasOwnCommits)
    }
}
