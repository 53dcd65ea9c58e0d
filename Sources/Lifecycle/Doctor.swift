import Foundation
import Config
import GitKit
import SessionKit
import Support

/// One inconsistency between git and the session files.
public struct DoctorProblem: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case sessionWithoutWorktree, worktreeWithoutSession, branchMismatch, branchMissing, staleWorktreeEntry,
             corruptSessionFile, duplicateClaim, staleSession, interruptedOperation,
             // The registry replicated through the remote (`ppds sync`): never fixable by doctor.
             registryNotPushed, registryDiverged, registryConflict, claimWithoutSession, registryRefused
    }

    public var kind: Kind
    public var issue: IssueNumber?
    public var worktree: String?
    public var branch: String?
    public var file: String?
    public var message: String
    /// Whether `--fix` repairs it without losing anything.
    public var fixable: Bool

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "kind": .string(kind.rawValue), "message": .string(message), "fixable": .bool(fixable),
            "issue": issue.map { .string($0.tag) } ?? .null,
        ]
        if let worktree { fields["worktree"] = .string(worktree) }
        if let branch { fields["branch"] = .string(branch) }
        if let file { fields["file"] = .string(file) }
        return .object(fields)
    }
}

public struct DoctorReport: Sendable {
    /// What the first check found.
    public var found: [DoctorProblem]
    /// What `--fix` did, one line each.
    public var repairs: [String]
    /// What is left after the fixes (the re-check); equals `found` without `--fix`.
    public var remaining: [DoctorProblem]

    public var healthy: Bool { remaining.isEmpty }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["healthy"] = .bool(healthy)
        out["problems"] = .array(found.map(\.json))
        out["repairs"] = .array(repairs.map(JSONValue.string))
        out["remaining"] = .array(remaining.map(\.json))
        return out
    }
}

/// The consistency check between git and the session files, and its lossless repairs.
public struct Doctor {
    /// A session with no update for this long is stale (a hint): 2 h, as in the view.
    public static let defaultStaleAfter: TimeInterval = 120 * 60

    public let workspace: Workspace
    public var staleAfter: TimeInterval
    public var now: Date = Date()

    public init(workspace: Workspace, staleAfter: TimeInterval = Doctor.defaultStaleAfter) {
        self.workspace = workspace
        self.staleAfter = staleAfter
    }

    public func run(fix: Bool) throws(PPDSError) -> DoctorReport {
        let found = try check()
        guard fix else { return DoctorReport(found: found, repairs: [], remaining: found) }
        let repairs = try repair(found)
        return DoctorReport(found: found, repairs: repairs, remaining: try check())
    }

    public func check() throws(PPDSError) -> [DoctorProblem] {
        let repository = try workspace.openRepository()
        var problems: [DoctorProblem] = []
        let listing = workspace.store.list()
        let intents = IntentStore(home: workspace.store.home).all()

        for error in listing.errors {
            problems.append(DoctorProblem(kind: .corruptSessionFile, file: error.file,
                                          message: "\(error.file): \(error.reason); --fix moves it to \(workspace.store.quarantineDir)", fixable: true))
        }
        for intent in intents.intents where intent.repo == workspace.repoRoot {
            let live = intent.isLive
            problems.append(DoctorProblem(kind: .interruptedOperation, issue: intent.issueNumber, worktree: intent.worktree,
                                          branch: intent.branch,
                                          message: live ? "\(intent.operation.rawValue) is running (pid \(intent.pid))"
                                                        : intent.failure.map { "\(intent.operation.rawValue) failed and exited (\($0)); --fix puts back anything it moved and judges it again" }
                                                        ?? "\(intent.operation.rawValue) was killed (pid \(intent.pid) is gone); --fix \(intent.operation == .prune ? "puts back what it moved to the trash and judges it again" : "rolls it back")",
                                          fixable: !live))
        }
        for manifest in Trash(workspace: workspace, repository: repository).interrupted() {
            problems.append(DoctorProblem(kind: .interruptedOperation, issue: manifest.issueNumber, worktree: manifest.worktree, branch: manifest.branch,
                                          message: "a trash \(manifest.state == .moving ? "move" : manifest.state == .restoring ? "restore" : "empty") of \(manifest.worktree) was killed (pid \(manifest.pid) is gone); --fix \(manifest.state == .moving ? "puts it back" : "finishes it")",
                                          fixable: true))
        }
        for file in intents.unreadable {
            problems.append(DoctorProblem(kind: .interruptedOperation, file: file, message: "\(file): an unreadable intent record", fixable: false))
        }

        let worktrees: [WorktreeInfo]
        worktrees = try PPDSError.wrapping { try repository.worktrees() }
        let inFlight = Set(intents.intents.filter(\.isLive).map { canonicalPath($0.worktree) })
        let inFlightNames = Set(intents.intents.filter(\.isLive).compactMap(\.adminName))
        let liveClaims = liveSessionEntries(listing.sessions.filter { workspace.owns($0) }, worktrees)
        for entry in worktrees where !entry.isMain && entry.state != .ok && !entry.isLocked && !inFlightNames.contains(entry.name)
            && !liveClaims.contains(entry.name) {
            if entry.state == .undecodablePath {
                problems.append(DoctorProblem(kind: .staleWorktreeEntry, branch: entry.head.branchName,
                                              message: ".git/worktrees/\(entry.name): its folder's path is not UTF-8; ppds leaves it alone (use git worktree)",
                                              fixable: false))
                continue
            }
            let what = entry.state == .halfMade ? "a half-made admin entry" : "its folder \(entry.path) is gone"
            if entry.state != .halfMade, repository.adminIndexHoldsStagedWork(entry.name, head: entry.head) {
                problems.append(DoctorProblem(kind: .staleWorktreeEntry, worktree: entry.path.isEmpty ? nil : entry.path,
                                              branch: entry.head.branchName,
                                              message: ".git/worktrees/\(entry.name): \(what), and its index holds staged changes found nowhere else; kept for when the folder is back (an unmounted disk?); 'git worktree prune' drops it if the folder is gone for good",
                                              fixable: false))
                continue
            }
            problems.append(DoctorProblem(kind: .staleWorktreeEntry, worktree: entry.path.isEmpty ? nil : entry.path,
                                          branch: entry.head.branchName,
                                          message: ".git/worktrees/\(entry.name): \(what); --fix prunes the entry (files and branch stay)",
                                          fixable: true))
        }

        let sessions = listing.sessions.filter { workspace.owns($0) }
        let byPath = Dictionary(worktrees.filter { !$0.path.isEmpty }.map { (canonicalPath($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        for session in sessions {
            let path = canonicalPath(session.worktree)
            let entry = byPath[path]
            let branchExists = (try? repository.branch(session.branch)) != nil
            if entry?.state != .ok || entry?.isMain == true {
                if inFlight.contains(path) { continue }
                if FileManager.default.fileExists(atPath: session.worktree) {
                    problems.append(DoctorProblem(kind: .sessionWithoutWorktree, issue: session.issue, worktree: session.worktree,
                                                  branch: session.branch,
                                                  message: "\(session.worktree) exists but git has no worktree entry for it (see 'git worktree repair')",
                                                  fixable: false))
                } else if !session.status.isTerminal {
                    // Its disk may be unmounted: the entry (index, HEAD) must survive until it is back.
                    let parent = (session.worktree as NSString).deletingLastPathComponent
                    let recreate = branchExists
                        ? "'ppds start-work \(session.issue.value)' recreates it from \(session.branch)"
                        : "its branch \(session.branch) is gone too: 'ppds cancel \(session.issue.value)' ends the session"
                    let message: String
                    if !FileManager.default.fileExists(atPath: parent) {
                        message = "\(session.worktree) is missing and so is its parent folder (an unmounted disk?) while the session is \(session.status.fileValue); mount it, or \(recreate)"
                    } else if entry == nil {
                        message = "\(session.worktree) is gone and git has no entry for it (removed with 'git worktree remove'?) while the session is \(session.status.fileValue); \(recreate)"
                    } else {
                        message = "\(session.worktree) is missing while the session is \(session.status.fileValue); its git entry is kept in case a disk is unmounted. \(recreate)"
                    }
                    problems.append(DoctorProblem(kind: .sessionWithoutWorktree, issue: session.issue, worktree: session.worktree,
                                                  branch: session.branch, message: message, fixable: false))
                } else if session.extra[Session.worktreeGoneKey] == nil {
                    problems.append(DoctorProblem(kind: .sessionWithoutWorktree, issue: session.issue, worktree: session.worktree,
                                                  branch: session.branch,
                                                  message: "the worktree \(session.worktree) is gone; --fix marks the session (its branch stays)",
                                                  fixable: true))
                }
            } else if let entry, entry.head != .branch(session.branch) {
                let head: String
                switch entry.head {
                case .branch(let name): head = "branch \(name)"
                case .detached(let id): head = "a detached HEAD at \(id.short)"
                case .unknown: head = "an unreadable HEAD"
                }
                problems.append(DoctorProblem(kind: .branchMismatch, issue: session.issue, worktree: session.worktree, branch: session.branch,
                                              message: "the worktree has \(head) checked out, not \(session.branch)", fixable: false))
            }
            if !branchExists && !(session.status.isTerminal && entry == nil) {
                problems.append(DoctorProblem(kind: .branchMissing, issue: session.issue, worktree: session.worktree, branch: session.branch,
                                              message: "branch \(session.branch) does not exist; recreate it ('git branch \(session.branch) <commit>') or end the session ('ppds cancel \(session.issue.value)')", fixable: false))
            }
            if session.status.isActive, now.timeIntervalSince(session.lastUpdate) > staleAfter {
                problems.append(DoctorProblem(kind: .staleSession, issue: session.issue, worktree: session.worktree, branch: session.branch,
                                              message: "no update for \(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate))) (status \(session.status.fileValue)); a hint, not a verdict",
                                              fixable: false))
            }
        }

        for (key, claimants) in duplicateClaims(sessions) {
            problems.append(DoctorProblem(kind: .duplicateClaim, issue: claimants.first, worktree: key.hasPrefix("/") ? key : nil,
                                          branch: key.hasPrefix("/") ? nil : key,
                                          message: "\(claimants.map(\.tag).joined(separator: ", ")) all claim \(key)", fixable: false))
        }

        // A worktree an intent record names is explained by its interrupted operation.
        let claimed = Set(sessions.map { canonicalPath($0.worktree) })
            .union(intents.intents.map { canonicalPath($0.worktree) })
        for entry in worktrees where !entry.isMain && entry.state == .ok && !claimed.contains(canonicalPath(entry.path)) {
            problems.append(DoctorProblem(kind: .worktreeWithoutSession, worktree: entry.path, branch: entry.head.branchName,
                                          message: "\(entry.path) has no session ('ppds prune --all' removes it once merged)", fixable: false))
        }
        problems += registryProblems(repository, sessions: sessions)
        return problems
    }

    /// A folder an interrupted prune left with no git entry: removed when it holds nothing but
    /// the checked commit's files (nil then), else why it stays.
    private func leftoverFolder(of intent: Intent, repository: Repository) -> String? {
        guard FileManager.default.fileExists(atPath: intent.worktree),
              (try? repository.worktree(atPath: intent.worktree)) == nil else { return nil }
        guard let admin = intent.adminName, let commit = intent.commit.flatMap(ObjectID.init(hex:)),
              repository.folderHoldsOnlyCheckout(at: intent.worktree, of: commit) else {
            return "it holds files other than the commit's; kept for you to review"
        }
        do {
            try repository.removeLeftoverWorktreeFolder(intent.worktree, adminName: admin)
            return nil
        } catch {
            return error.message
        }
    }

    /// Admin entry names of the worktrees that active or paused sessions claim.
    private func liveSessionEntries(_ sessions: [Session], _ worktrees: [WorktreeInfo]) -> Set<String> {
        var index = WorktreeIndex(worktrees.filter { !$0.isMain })
        return Set(sessions.filter { !$0.status.isTerminal }.compactMap { index.worktree(at: $0.worktree)?.name })
    }

    /// Worktree paths and branches that more than one session claims.
    private func duplicateClaims(_ sessions: [Session]) -> [(String, [IssueNumber])] {
        var claims: [String: [IssueNumber]] = [:]
        for session in sessions where !session.status.isTerminal || session.extra[Session.worktreeGoneKey] == nil {
            claims[canonicalPath(session.worktree), default: []].append(session.issue)
            claims[session.branch, default: []].append(session.issue)
        }
        return claims.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Applies the repairs that lose nothing; returns what was done, and what was not.
    private func repair(_ problems: [DoctorProblem]) throws(PPDSError) -> [String] {
        let repository = try workspace.openRepository()
        var done: [String] = []
        let store = workspace.store
        let intentStore = IntentStore(home: store.home)

        // Interrupted trash moves, restores and empties first: each is completed without loss.
        if problems.contains(where: { $0.kind == .interruptedOperation }) {
            done += try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> [String] in
                Trash(workspace: workspace, repository: repository).recover()
            }
        }
        // Interrupted operations first: they explain most other findings.
        for problem in problems where problem.kind == .interruptedOperation && problem.fixable {
            guard let issue = problem.issue else { continue }
            do {
                try store.withLock(issue) {
                    for operation in Intent.Operation.rolledBack {
                        guard let intent = intentStore.load(operation, issue.value, repo: workspace.repoRoot), !intent.isLive else { continue }
                        let outcome = Recovery(workspace: workspace, repository: repository).rollBackStart(intent)
                        done.append("\(issue.tag): \(operation.rawValue) " + (outcome.done ? "rolled back" : "not fully rolled back") + ": " + outcome.notes.joined(separator: "; "))
                    }
                }
                if let intent = intentStore.load(.prune, issue.value, repo: workspace.repoRoot), !intent.isLive {
                    // What a killed move took is put back first; then the removal is judged
                    // again like any other (a record is never a licence).
                    let notes = try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> [String] in
                        Trash(workspace: workspace, repository: repository).recover()
                    }
                    done += notes
                    if (try? store.loadIfPresent(issue)) == nil {
                        intentStore.clear(intent)
                        done.append("\(issue.tag): prune had finished; its record was cleared")
                    } else {
                        let config = try Config.load(home: store.home, repoRoot: workspace.repoRoot)
                        let report = try Prune(workspace: workspace, config: config).run(PruneRequest(issues: [issue], minAge: 0))
                        let result = report.results.first
                        intentStore.clear(intent)
                        done.append("\(issue.tag): prune finished: \(result?.outcome.rawValue ?? "?") (\(result?.reason.kind ?? ""))")
                    }
                }
            } catch {
                done.append("\(issue.tag): could not finish the interrupted operation: \(PPDSError.from(error).message)")
            }
        }
        for problem in problems where problem.kind == .corruptSessionFile {
            guard let file = problem.file else { continue }
            do {
                done.append("moved \(file) aside to \(try store.moveAside(file))")
            } catch {
                done.append("could not move \(file) aside: \(error)")
            }
        }
        if problems.contains(where: { $0.kind == .staleWorktreeEntry }) {
            do {
                let running = Set(intentStore.all().intents.filter(\.isLive).compactMap(\.adminName))
                let live = liveSessionEntries(store.list().sessions.filter { workspace.owns($0) }, try repository.worktrees())
                for entry in try repository.pruneStaleWorktrees(settle: 0, sparing: running.union(live)) {
                    done.append("pruned stale worktree entry \(entry.name)" + (entry.path.isEmpty ? "" : " (\(entry.path))"))
                }
            } catch {
                done.append("could not prune stale worktree entries: \(error.message)")
            }
        }
        for problem in problems where problem.kind == .sessionWithoutWorktree && problem.fixable {
            guard let issue = problem.issue else { continue }
            do {
                try store.modify(issue) { session in
                    var marked = session
                    marked.extra[Session.worktreeGoneKey] = .string(Timestamp.format(now))
                    return marked
                }
                done.append("\(issue.tag): marked its worktree as gone")
            } catch {
                done.append("\(issue.tag): could not mark the session: \(PPDSError.from(error).message)")
            }
        }
        return done
    }
}
