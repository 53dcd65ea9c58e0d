import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

public struct DoctorReport: Sendable {
    /// What the first check found.
    public var found: [Problem]
    /// What `--fix` did, one line each.
    public var repairs: [String]
    /// What is left after the fixes (the re-check); equals `found` without `--fix`.
    public var remaining: [Problem]

    public var healthy: Bool { remaining.isEmpty }
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

    /// The one diagnosis over everything doctor reads (`Diagnosis.diagnose`).
    public func check() throws(PPDSError) -> [Problem] {
        Diagnosis.diagnose(try DiagnosisFacts.gather(workspace, now: now, staleAfter: staleAfter))
    }

    /// Admin entry names of the worktrees that active or paused sessions claim.
    private func liveSessionEntries(_ sessions: [Session], _ worktrees: [WorktreeInfo]) -> Set<String> {
        var index = WorktreeIndex(worktrees.filter { !$0.isMain })
        return Set(sessions.filter { !$0.status.isTerminal }.compactMap { index.worktree(at: $0.worktree)?.name })
    }

    /// Applies the repairs that lose nothing; returns what was done, and what was not.
    private func repair(_ problems: [Problem]) throws(PPDSError) -> [String] {
        let repository = try workspace.openRepository()
        var done: [String] = []
        let store = workspace.store
        let intentStore = IntentStore(home: store.home)

        // Interrupted trash moves, restores and empties first: each is completed without loss.
        if problems.contains(where: { if case .interruptedOperation = $0 { true } else { false } }) {
            done += try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> [String] in
                Trash(workspace: workspace, repository: repository).recover()
            }
        }
        // Interrupted operations first: they explain most other findings.
        for problem in problems {
            guard case .interruptedOperation = problem, problem.fixable, let issue = problem.issue else { continue }
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
        for problem in problems {
            guard case .corruptSessionFile(let file, _, _) = problem else { continue }
            do {
                done.append("moved \(file) aside to \(try store.moveAside(file))")
            } catch {
                done.append("could not move \(file) aside: \(error)")
            }
        }
        if problems.contains(where: { if case .staleWorktreeEntry = $0 { true } else { false } }) {
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
        for problem in problems {
            guard case .sessionWithoutWorktree(let ref, .finishedUnmarked) = problem else { continue }
            let issue = ref.issue
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
