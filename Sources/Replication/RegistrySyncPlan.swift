import Foundation
import GitKit
import SessionKit
import Support

/// What sync knows about one session before it decides anything (`RegistrySync.gather`).
struct SessionSyncFacts {
    var issue: IssueNumber
    /// This machine.
    var me: Machine
    /// This machine's own session (its store), or a copy of another machine's (the mirror).
    var isOwn: Bool
    /// The session file's path, for messages.
    var file: String
    /// Why the session file cannot be read, when it cannot.
    var unreadable: String?
    /// The file as read; nil when there is none.
    var original: Session?
    /// The file with the guidance written here since the last sync signed: what is recorded.
    var current: Session?
    /// `refs/ppds/sessions/<issue>`: what this machine took in last.
    var local: RegistryEntry?
    /// The remote's ref, as fetched.
    var remote: RegistryEntry?
    /// Ancestry of the two, when both exist (both true when they are the same commit).
    var localIsAncestorOfRemote = false
    var remoteIsAncestorOfLocal = false
    /// Why the remote's new commits are refused (a forged or unchecked signature), when they are.
    var refusal: String?
    /// The machines this one trusts, for guidance it will not relay.
    var trust: MachineTrust
    var now: Date
    /// Who set a register, for the pause and resume rule (case 14): asked for by the planner
    /// (`SessionSyncDecision.needsOrigin`), gathered, and given back.
    /// A nil origin: none could be named (the pause is obeyed).
    var origins: [(register: Register, origin: (signer: Signer?, verdict: TrustVerdict)?)] = []

    /// nil: not gathered yet.
    func origin(of register: Register) -> (signer: Signer?, verdict: TrustVerdict)?? {
        origins.first { $0.register == register }.map(\.origin)
    }
}

/// The numbered scenarios of syncing one session. Each is one code path of
/// `SessionSyncPlanner.plan`; a plan lists the ones it took, in order.
///
/// Refusals (nothing changes):
/// 1. `unreadableFile`: the session file cannot be read → `failed`.
/// 2. `refusedRemote`: a commit the remote has and this machine has not taken in has a
///    signature that does not match the machine it names → `refused`; this machine's commits wait.
/// 3. `ownFileGone`: this machine's session file vanished between listing and locking → `unchanged`.
/// 4. `conflict`: this machine's session names another machine, or the registry says another
///    machine owns the issue (no claims configured) → `conflict`; the local one is kept and not synced.
///
/// Recording (this machine's side):
/// 5. `recordFile`: the file differs from what the registry last had (or the registry has no
///    commit yet): a commit records it (Lamport clock = the highest seen + 1) → `recorded`.
///
/// Joining with the remote (`tip` is the newest commit here: case 5's, else the local ref's):
/// 6. `remoteSame`: no remote commit, or the same as `tip` → nothing to join.
/// 7. `fastForward`: `tip` is an ancestor of the remote's → the remote's is taken → `fastForwarded`.
/// 8. `remoteBehind`: the remote's is an ancestor of `tip` → nothing (the push sends `tip`).
/// 9. `merge`: both moved → a merge commit joins them (registers merge last-writer-wins by
///    stamp; guidance is only added) → `merged`.
/// 10. `adoptRemote`: nothing here yet → the remote's is taken → `mirrored` (another machine's
///     session, first copy) or `fastForwarded`.
/// 11. `nothingAnywhere`: no file, no local and no remote commit → `unchanged`.
///
/// Ends (the owner pruned the session):
/// 12. `markPruned`: this machine's session is gone from this machine (pruned) and finished in
///     the registry → a commit sets `prunedAt`, so other machines drop their copies → `ended`.
/// 13. `dropCopy`: another machine's session whose owner pruned it → this copy's file is removed → `ended`.
///     (Gone but unfinished, or already marked: only the ref follows.)
///
/// Writing back (the session lives on):
/// 14. `pauseNotObeyed`: a pause or resume of this machine's session set by a machine this one
///     does not trust (or by nobody verifiable) → the local status stays, with a message.
/// 15. `foreignEndIgnored`: another machine finished this machine's open session → ignored;
///     only this machine finishes its sessions.
/// 16. `recordedAgain`: what is this machine's to say differs from the commit: where the work
///     is (folder, branch, repository, machine) from elsewhere, or a status kept by 14 or 15.
///     The local values win, and a commit records them again when a register changes.
/// 17. `guidanceHeld`: new guidance this machine will not relay (unsigned or untrusted) → said in the message.
/// 18. `writeFile`: the file is saved when it changed, then the local ref moves to `tip`
///     (compare-and-swap against the value read).
enum SessionSyncCase: Int, Sendable, CaseIterable {
    case unreadableFile = 1, refusedRemote, ownFileGone, conflict
    case recordFile
    case remoteSame, fastForward, remoteBehind, merge, adoptRemote, nothingAnywhere
    case markPruned, dropCopy
    case pauseNotObeyed, foreignEndIgnored, recordedAgain, guidanceHeld, writeFile
}

/// A commit in a plan: one that exists, or the plan's own n-th commit (written by then).
enum PlannedRef: Equatable {
    case existing(ObjectID)
    case planned(Int)
}

struct PlannedCommit: Equatable {
    var replica: SessionReplica
    var session: Session
    var parents: [PlannedRef]
    var lamport: Int
    var changed: [String]
}

/// One step of applying a plan, in order.
enum SessionSyncStep: Equatable {
    case commit(PlannedCommit)
    case saveFile(Session)
    case removeFile
    /// `refs/ppds/sessions/<issue>` moves from the value read to this commit.
    case moveRef(PlannedRef)
    /// A point where a test may kill the process (`FaultInjection`).
    case checkpoint(String)
}

struct SessionSyncPlan {
    var result: SessionSyncResult
    var cases: [SessionSyncCase] = []
    var steps: [SessionSyncStep] = []

    /// The commits the plan writes, in order (`PlannedRef.planned` indexes them).
    var commits: [PlannedCommit] {
        steps.compactMap { if case .commit(let commit) = $0 { commit } else { nil } }
    }
}

enum SessionSyncDecision {
    case plan(SessionSyncPlan)
    /// The plan needs to know who set `register` in the history of these commits; ask again with it.
    case needsOrigin(Register, roots: [ObjectID])
}

/// Decides what sync does to one session. Pure: it reads only the facts, so a table of facts
/// drives it in tests without git (`RegistrySyncPlanTests`).
enum SessionSyncPlanner {
    /// The newest commit here as the plan goes: an existing one, or one the plan writes.
    private struct Tip {
        var ref: PlannedRef
        var replica: SessionReplica
        var lamport: Int
        /// The existing commits its history starts from.
        var roots: [ObjectID]
    }

    static func plan(_ facts: SessionSyncFacts) throws -> SessionSyncDecision {
        let issue = facts.issue, me = facts.me
        var plan = SessionSyncPlan(result: SessionSyncResult(issue: issue, outcome: .unchanged))
        var commitCount = 0
        func commit(_ replica: SessionReplica, _ session: Session, parents: [Tip?], lamport: Int, changed: [String]) -> Tip {
            let refs = parents.compactMap { $0?.ref }
            plan.steps.append(.commit(PlannedCommit(replica: replica, session: session, parents: refs, lamport: lamport, changed: changed)))
            commitCount += 1
            return Tip(ref: .planned(commitCount - 1), replica: replica, lamport: lamport, roots: parents.flatMap { $0?.roots ?? [] })
        }
        func existing(_ entry: RegistryEntry) -> Tip {
            Tip(ref: .existing(entry.id), replica: entry.replica, lamport: entry.lamport, roots: [entry.id])
        }
        let localRef = facts.local.map { PlannedRef.existing($0.id) }

        // 1-4: refusals.
        if let problem = facts.unreadable {
            plan.cases = [.unreadableFile]
            plan.result = SessionSyncResult(issue: issue, outcome: .failed, message: problem)
            return .plan(plan)
        }
        if let refusal = facts.refusal {
            plan.cases = [.refusedRemote]
            plan.result = SessionSyncResult(issue: issue, outcome: .refused, machine: facts.remote?.owner, message: refusal)
            return .plan(plan)
        }
        let current = facts.current
        let gone: Bool
        if facts.isOwn {
            guard let current else {
                plan.cases = [.ownFileGone]
                return .plan(plan)
            }
            plan.result.machine = current.machine ?? me
            if let other = [current.machine, facts.local?.owner, facts.remote?.owner].compactMap({ $0 }).first(where: { $0.id != me.id }) {
                plan.cases = [.conflict]
                plan.result.outcome = .conflict
                plan.result.machine = other
                plan.result.message = "\(issue.tag) has a session here and on \(other.label) (\(other.id)); the local one is kept and not synced. Work on it on one machine and end it on the other ('ppds cancel \(issue.value)')"
                return .plan(plan)
            }
            gone = false
        } else {
            let owner = facts.remote?.owner ?? facts.local?.owner ?? current?.machine
            plan.result.machine = owner
            // Our own session, gone from this machine (pruned): never brought back, and once
            // finished, marked so in the registry, so other machines drop their copies.
            gone = owner?.id == me.id
        }

        // 5: record the file.
        var tip: Tip? = facts.local.map(existing)
        var recorded = false
        var lamport = max(facts.local?.lamport ?? 0, facts.remote?.lamport ?? 0)
        if !gone, var session = current {
            if facts.isOwn && session.machine == nil { session.machine = me }
            let stamp = Stamp(lamport: lamport + 1, machine: me.id)
            let base = facts.local?.replica ?? SessionReplica()
            let recording = base.recording(session, at: stamp)
            if recording != base || facts.local == nil {
                lamport += 1
                let rendered = try RegistrySync.render(recording, issue, file: facts.file)
                tip = commit(recording, rendered, parents: [tip], lamport: lamport, changed: recording.changedKeys(since: base))
                recorded = true
                plan.cases.append(.recordFile)
                plan.result.outcome = .recorded
            }
        }

        // 6-11: join with the remote.
        if let remote = facts.remote, tip?.ref != .existing(remote.id) {
            if let here = tip {
                // A commit just recorded descends from the local ref: the remote is behind it
                // exactly when it is behind the local ref, and it is never behind the remote.
                let hereBehindRemote = !recorded && facts.localIsAncestorOfRemote
                let remoteBehindHere = facts.local != nil && facts.remoteIsAncestorOfLocal
                if hereBehindRemote {
                    plan.cases.append(.fastForward)
                    tip = existing(remote)
                    plan.result.outcome = .fastForwarded
                } else if !remoteBehindHere {
                    plan.cases.append(.merge)
                    lamport += 1
                    let joined = here.replica.merged(with: remote.replica)
                    let rendered = try RegistrySync.render(joined, issue, file: facts.file)
                    tip = commit(joined, rendered, parents: [here, existing(remote)], lamport: lamport,
                                 changed: joined.changedKeys(since: here.replica))
                    plan.result.outcome = .merged
                } else {
                    plan.cases.append(.remoteBehind)
                }
            } else {
                plan.cases.append(.adoptRemote)
                tip = existing(remote)
                plan.result.outcome = current == nil && !facts.isOwn ? .mirrored : .fastForwarded
            }
        } else {
            plan.cases.append(.remoteSame)
        }
        guard var tip else {
            plan.cases.append(.nothingAnywhere)
            return .plan(plan)
        }

        // 12-13: the owner pruned it.
        if gone || (!facts.isOwn && tip.replica.fields[RegistrySync.prunedKey]?.value != nil) {
            if gone, tip.replica.terminal?.value != nil, tip.replica.fields[RegistrySync.prunedKey]?.value == nil {
                plan.cases.append(.markPruned)
                lamport = max(lamport, tip.lamport) + 1
                var ended = tip.replica
                ended.fields[RegistrySync.prunedKey] = Register(value: .string(Timestamp.format(facts.now)), stamp: Stamp(lamport: lamport, machine: me.id))
                tip = commit(ended, try RegistrySync.render(ended, issue, file: facts.file), parents: [tip], lamport: lamport,
                             changed: [RegistrySync.prunedKey])
                plan.result.outcome = .ended
            } else if !gone, current != nil {
                plan.cases.append(.dropCopy)
                plan.steps.append(.removeFile)
                plan.result.outcome = .ended
            }
            if tip.ref != localRef { plan.steps.append(.moveRef(tip.ref)) }
            return .plan(plan)
        }

        // 14-18: write the result back.
        var rendered = try RegistrySync.render(tip.replica, issue, file: facts.file)
        let asCommitted = rendered
        if facts.isOwn, let current, (rendered.status == .paused) != (current.status == .paused), !current.status.isTerminal,
           let register = tip.replica.paused, register.stamp.machine != me.id {
            guard let known = facts.origin(of: register) else { return .needsOrigin(register, roots: tip.roots) }
            if let origin = known, !origin.verdict.acts {
                // A pause or resume from a machine this one does not trust is reported, never
                // obeyed: the local status stays, and is recorded again (so it wins in the registry).
                plan.cases.append(.pauseNotObeyed)
                let what = rendered.status == .paused ? "pause" : "resume"
                rendered.status = current.status
                rendered.pausedFrom = current.pausedFrom
                plan.result.message = "a \(what) of \(issue.tag) \(GuidanceOrigin(signer: origin.signer, verdict: origin.verdict).described) was not obeyed"
                    + (origin.verdict == .untrusted ? "; 'ppds machines trust \(origin.signer?.id ?? "?")' would let it act" : "")
            }
        }
        if facts.isOwn, let current, !current.status.isTerminal, let terminal = tip.replica.terminal, terminal.value != nil,
           terminal.stamp.machine != me.id {
            // Only this machine finishes its session (ship and cancel are refused on a copy
            // elsewhere): a terminal status from another machine is ignored, and the status
            // the other registers give (a pause from elsewhere included) is recorded again.
            plan.cases.append(.foreignEndIgnored)
            var open = tip.replica
            open.terminal = nil
            let reopened = try RegistrySync.render(open, issue, file: facts.file)
            rendered.status = reopened.status
            rendered.pausedFrom = reopened.pausedFrom
        }
        if facts.isOwn, let current {
            // Where the work is (folder, branch, repository, machine) is this machine's to say: a
            // commit from elsewhere never moves it; the local values are recorded again at once.
            let kept = RegistrySync.keepingLocation(of: current, in: rendered)
            if kept != asCommitted {
                let stamp = Stamp(lamport: max(lamport, tip.lamport) + 1, machine: me.id)
                let recording = tip.replica.recording(kept, at: stamp)
                // A `delivered` mark kept from the file changes no register (it merges as the
                // earliest): no commit for it, or every sync would write one.
                if recording != tip.replica {
                    plan.cases.append(.recordedAgain)
                    lamport = stamp.lamport
                    tip = commit(recording, kept, parents: [tip], lamport: lamport, changed: recording.changedKeys(since: tip.replica))
                }
                rendered = kept
            }
        }
        rendered = RegistrySync.markingForeignGuidance(rendered, local: facts.current, replica: tip.replica)
        if facts.isOwn {
            // New guidance this machine will not relay: said at once, by sync.
            let before = Set((facts.original?.guidance ?? []).map(\.id))
            let held = rendered.guidance.filter { !before.contains($0.id) }
                .map { GuidanceOrigin.of($0, issue: issue, trust: facts.trust) }.filter { !$0.verdict.acts }
            if !held.isEmpty {
                plan.cases.append(.guidanceHeld)
                let senders = Array(Set(held.map(\.described))).sorted().joined(separator: "; ")
                let note = "\(held.count) new guidance message\(held.count == 1 ? "" : "s") \(senders), not relayed to the worker ('ppds show \(issue.value)' reads \(held.count == 1 ? "it" : "them"))"
                plan.result.message = plan.result.message.map { $0 + "; " + note } ?? note
            }
        }
        plan.cases.append(.writeFile)
        plan.steps.append(.checkpoint("syncAfterCommit"))
        if rendered != facts.original {
            plan.steps.append(.saveFile(rendered))
        }
        plan.steps.append(.checkpoint("syncAfterFile"))
        if tip.ref != localRef { plan.steps.append(.moveRef(tip.ref)) }
        return .plan(plan)
    }
}
