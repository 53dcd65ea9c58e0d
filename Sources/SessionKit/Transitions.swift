#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// A change a worker, the orchestrator or a human asks of a session.
public enum SessionChange: Sendable {
    /// A worker reports progress. `force` overrides a human's pause.
    case update(status: SessionStatus, stuck: StuckRequest?, pr: String?, force: Bool)
    case guide(message: String)
    case pause
    case resume
    case ship(pr: String, force: Bool)
    case cancel
    /// A worker attaches its plan: the session goes to planning_complete with the plan as its
    /// next version. `force` overrides a human's pause, as for `update`.
    case submitPlan(text: String, force: Bool)
    /// A human answers the latest plan of a session at planning_complete: approval (the session
    /// goes to working) or changes requested (back to planning). Relayed to the worker as
    /// guidance. `version`, when given, must be the latest: an answer to a replaced plan is refused.
    case answerPlan(PlanAnswer.Verdict, message: String?, version: Int?, by: PlanReviewer)
}

/// What a worker says when it gets stuck.
public struct StuckRequest: Sendable, Equatable {
    public var reason: String
    public var context: String?
    public var options: [String]

    public init(reason: String, context: String? = nil, options: [String] = []) {
        self.reason = reason
        self.context = context
        self.options = options
    }
}

/// Why a change was refused. The message names the session.
public struct TransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case terminal, paused, stuckNeedsReason, notPaused, alreadyPaused, useOtherCommand, emptyMessage, tooMuchGuidance
        case emptyPlan, planTooLarge, noPlanWaiting, stalePlan
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }
}

extension Session {
    /// The session with the guidance named by `ids` marked read at `now` (each only once: the
    /// first reading counts). Not a transition: any session may be read, paused or finished.
    public func markingDelivered(_ ids: Set<String>, at now: Date) -> Session {
        var next = self
        for index in next.guidance.indices where next.guidance[index].delivered == nil && ids.contains(next.guidance[index].id) {
            next.guidance[index].delivered = now
        }
        return next
    }

    /// The session after `change`, or a refusal. Every accepted change sets `lastUpdate` except
    /// guidance: `lastUpdate` is when the worker (or a human acting on the session) last moved it,
    /// and an orchestrator's message must not make a silent worker look fresh (`--stale-after`).
    public func applying(_ change: SessionChange, at now: Date) throws(TransitionError) -> Session {
        var next = self
        func refuse(_ kind: TransitionError.Kind, _ message: String) -> TransitionError {
            TransitionError(kind: kind, message: "\(issue.tag): \(message)")
        }
        if status.isTerminal {
            throw refuse(.terminal, "the session is \(status.fileValue); a finished session cannot change (start new work instead)")
        }
        switch change {
        case .update(let target, let stuckRequest, let pr, let force):
            switch target {
            case .paused: throw refuse(.useOtherCommand, "use 'ppds pause' to pause a session")
            case .cancelled: throw refuse(.useOtherCommand, "use 'ppds cancel' to cancel a session")
            default: break
            }
            if status == .paused && !force {
                throw refuse(.paused, "a human paused this session; wait for 'ppds resume', or pass --force")
            }
            next.pausedFrom = nil
            next.status = target
            if target == .stuck {
                guard let stuckRequest, !stuckRequest.reason.trimmingWhitespaceAndNewlines().isEmpty else {
                    throw refuse(.stuckNeedsReason, "entering 'stuck' needs a reason (--reason)")
                }
                next.stuck = StuckContext(reason: stuckRequest.reason, context: stuckRequest.context,
                                          options: stuckRequest.options, since: now)
            } else {
                next.stuck = nil
            }
            if let pr { next.pr = pr }
        case .guide(let message):
            guard !message.trimmingWhitespaceAndNewlines().isEmpty else {
                throw refuse(.emptyMessage, "guidance needs a message")
            }
            next.guidance.append(Guidance(id: Guidance.newID(), message: message, at: now))
            // Half the file limit at most: the read marks added later (about 40 bytes for an
            // entry of at least 70) must still fit, or a read could never be recorded.
            guard next.encoded().count <= Session.maxFileSize / 2 else {
                throw refuse(.tooMuchGuidance, "the session file would grow past \(Session.maxFileSize / 2) bytes of guidance; start a new session or shorten the message")
            }
        case .pause:
            guard status != .paused else { throw refuse(.alreadyPaused, "the session is already paused") }
            // The stuck context stays while paused, so resume returns to it intact.
            next.pausedFrom = status
            next.status = .paused
        case .resume:
            guard status == .paused else { throw refuse(.notPaused, "the session is \(status.fileValue), not paused") }
            next.status = pausedFrom ?? .working
            next.pausedFrom = nil
            if next.status != .stuck { next.stuck = nil }
        case .ship(let pr, let force):
            if status == .paused && !force {
                throw refuse(.paused, "a human paused this session; resume it first, or pass --force")
            }
            next.status = .complete
            next.pr = pr
            next.stuck = nil
            next.pausedFrom = nil
        case .cancel:
            next.status = .cancelled
            next.stuck = nil
            next.pausedFrom = nil
        case .submitPlan(let text, let force):
            if status == .paused && !force {
                throw refuse(.paused, "a human paused this session; wait for 'ppds resume', or pass --force")
            }
            try next.attachPlan(text, at: now)
        case .answerPlan(let verdict, let message, let version, let by):
            try next.answerPlan(verdict, message: message, version: version, by: by, at: now)
        }
        if case .guide = change { return next }
        next.lastUpdate = now
        return next
    }
}
