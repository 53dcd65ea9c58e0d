import Foundation
import SessionKit
import Support

/// One session as the interactive watch lists it. Every text here is escaped already.
public struct WatchRow: Equatable, Sendable {
    public var issue: IssueNumber
    public var status: SessionStatus
    /// The status as a short word for the list column.
    public var label: String
    /// Title and what it waits for, on one line.
    public var summary: String
    /// Lines for the detail pane under the list.
    public var detail: [String]
    /// The stuck question's options (raw, for the answer: a digit picks one).
    public var options: [String]
    /// The plan version waiting for review, when one waits.
    public var planWaiting: Int?
    /// "new", "changed" or "stuck" since the previous view (as the plain watch marks them).
    public var change: String?

    public init(_ view: SessionView, change: String? = nil, now: Date = Date(), home: String? = nil) {
        let session = view.session
        let safe = { (text: String) in TerminalText.escaped(text) }
        let group = StatusGroup.of(session)
        issue = session.issue
        status = session.status
        self.change = change
        options = session.status == .stuck ? session.stuck?.options ?? [] : []
        planWaiting = session.planWaitsForReview ? session.latestPlan?.version : nil
        switch group {
        case .stuck: label = "stuck"
        case .planReady: label = "plan"
        case .prReady: label = "PR ready"
        case .working: label = "working"
        case .planning: label = "planning"
        case .starting: label = "starting"
        case .paused: label = "paused"
        case .complete: label = "complete"
        case .cancelled: label = "cancelled"
        case .other: label = safe(session.status.fileValue)
        }
        var summary = safe(session.title ?? session.branch)
        var detail: [String] = []
        let text = StatusText(now: now, home: home)
        detail.append("\(session.issue.tag) \(safe(session.branch)) · \(safe(text.shorten(session.worktree)))")
        // Whether its agent runs, as the plain view says it; Enter attaches, l shows its log.
        if let agent = AgentText.describe(view.agent, now: now) {
            detail.append("agent \(safe(session.agent?.name ?? "")): \(safe(agent))")
        }
        switch group {
        case .stuck:
            if let stuck = session.stuck {
                summary += " — " + safe(stuck.reason)
                detail.append("stuck \(HumanDuration.describe(now.timeIntervalSince(stuck.since))): \(safe(stuck.reason))")
                if let context = stuck.context, !context.isEmpty { detail.append("context: \(safe(context))") }
                if let answer = session.stuckAnswer { detail.append("(\(AnswerText.describe(answer, now: now)))") }
                detail += stuck.options.enumerated().map { "\($0.offset + 1)) \(safe($0.element))" }
                detail.append(stuck.options.isEmpty ? "g types guidance" : "1–\(min(stuck.options.count, 9)) answers with that option · g types guidance")
            }
        case .planReady:
            if let plan = session.planSummary {
                summary += " — plan v\(plan.version) waiting"
                detail.append(PlanText.summaryLine(plan, now: now))
                detail.append("a approves · r sends it back")
            }
        case .prReady:
            if let pr = session.pr { summary += " — " + safe(pr) }
        case .paused:
            let from = session.pausedFrom.map { " (was \(safe($0.fileValue)))" } ?? ""
            detail.append("paused \(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate)))\(from) · p resumes")
        default:
            detail.append("\(safe(session.status.fileValue)), started \(HumanDuration.describe(now.timeIntervalSince(session.started))) ago")
        }
        self.summary = summary
        self.detail = detail
    }

    /// The rows in the order the plain view groups them (what needs a human first), by issue within a group.
    public static func rows(_ report: StatusReport, changes: [IssueNumber: String] = [:], now: Date = Date(), home: String? = nil) -> [WatchRow] {
        let order = Dictionary(uniqueKeysWithValues: StatusGroup.allCases.enumerated().map { ($0.element, $0.offset) })
        return report.sessions
            .sorted { (order[StatusGroup.of($0.session)]!, $0.session.issue) < (order[StatusGroup.of($1.session)]!, $1.session.issue) }
            .map { WatchRow($0, change: changes[$0.session.issue], now: now, home: home) }
    }
}
