import Foundation
import GitKit
import SessionKit
import Agents
import Support

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
        if session.status == .working || session.status == .planning, let end = agentEnd(facts.agent, now: now) {
            problems.append(.agentEnded(ref, status: session.status, end))
        }
        let worktreeExists = if case .checkedOut = facts.checkout { true } else { false }
        if terminal, let merged = facts.merged, worktreeExists || facts.branchExists {
            problems.append(.mergedReadyToPrune(ref, merged: merged, ownCommits: facts.hasOwnCommits))
        }
        return problems
    }

    /// How the agent ended, when it has.
    static func agentEnd(_ agent: AgentLiveness, now: Date) -> Problem.AgentEnd? {
        switch agent {
        case .exited(let at, let code, let signal): Problem.AgentEnd(ago: max(0, now.timeIntervalSince(at)), exitCode: code, signal: signal)
        case .gone(let pid): Problem.AgentEnd(ago: nil, pid: pid)
        case .none, .running, .elsewhere: nil
        }
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
