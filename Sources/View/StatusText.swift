import Foundation
import Config
import GitKit
import Lifecycle
import Agents
import SessionKit
import Support
import Forge

/// Renders the orchestrator view for people, grouped like the spec's example.
public struct StatusText {
    public var color: Bool
    public var now: Date
    public var home: String?

    public init(color: Bool = false, now: Date = Date(), home: String? = ProcessInfo.processInfo.environment["HOME"]) {
        self.color = color
        self.now = now
        self.home = home
    }

    /// Icons are text: the view must read the same without an emoji font.
    static func icon(_ group: StatusGroup) -> String {
        switch group {
        case .stuck: "🟡"
        case .planReady: "📋"
        case .prReady: "✅"
        case .working: "🟢"
        case .planning: "🔵"
        case .starting: "🔹"
        case .paused: "⏸️ "
        case .complete: "☑️ "
        case .cancelled: "⚪"
        case .other: "❔"
        }
    }

    public func render(_ report: StatusReport) -> String {
        var lines: [String] = []
        for group in StatusGroup.allCases {
            var members = report.sessions.filter { StatusGroup.of($0.session) == group }
            // PRs are the "Review PRs" queue: approved and green first, then waiting, then failing.
            if group == .prReady { members = ReviewQueue.ordered(members, pr: \.pullRequest, since: \.session.lastUpdate) }
            guard !members.isEmpty else { continue }
            lines.append(bold("\(Self.icon(group)) \(group.title): \(members.count) session\(members.count == 1 ? "" : "s")"))
            for view in members { lines += describe(view, in: group) }
        }
        if report.sessions.isEmpty { lines.append("No sessions.") }
        // Merged and finished is good news: said apart from what needs fixing.
        let ready = report.problems.filter { $0.group == .readyToPrune }
        let problems = report.problems.filter { $0.group == .problems }
        if !ready.isEmpty {
            lines.append(bold("🧹 Ready to prune: \(ready.count)"))
            for item in ready {
                lines.append("   - \(item.issue.map { "\($0.tag) " } ?? "")\(Self.safe(shorten(ProblemText.message(item))))")
            }
        }
        if !problems.isEmpty {
            lines.append(bold("⚠️  Problems: \(problems.count)"))
            for problem in problems {
                let who = problem.issue.map { "\($0.tag) " } ?? ""
                lines.append("   - \(who)\(problem.name): \(Self.safe(shorten(ProblemText.message(problem))))")
            }
        }
        return lines.joined(separator: "\n")
    }

    func describe(_ view: SessionView, in group: StatusGroup) -> [String] {
        var lines = summary(view, in: group)
        // Uncommitted work, when it was computed (--dirty), and where to go.
        if let dirty = view.git.dirty, dirty.isDirty { lines[0] += " · dirty: " + dirty.summary }
        lines[0] += " · " + Self.safe(shorten(view.session.worktree))
        // The agent ppds started, alive or not, read when the view was built.
        if let agent = AgentText.describe(view.agent, now: now) {
            lines.insert("     Agent \(Self.safe(view.session.agent?.name ?? "")): \(Self.safe(agent))", at: 1)
        }
        let held = view.held
        if !held.isEmpty {
            let senders = Array(Set(held.map { $0.origin.described })).sorted()
            let count = held.count == 1 ? "1 guidance message" : "\(held.count) guidance messages"
            lines.append("     Not relayed: \(count) \(Self.safe(senders.joined(separator: "; "))); 'ppds show \(view.session.issue.value)' reads it, 'ppds machines' says whom to trust")
        }
        return lines
    }

    func summary(_ view: SessionView, in group: StatusGroup) -> [String] {
        let session = view.session
        let active = "started " + HumanDuration.describe(now.timeIntervalSince(session.started)) + " ago"
        let title = session.title.map { " \"" + Self.safe($0) + "\"" } ?? ""
        let head = "   - \(session.issue.tag)\(title) \(Self.safe(session.branch))"
        switch group {
        case .stuck:
            guard let stuck = session.stuck else { return ["\(head) (\(active))"] }
            let answer = session.stuckAnswer.map { "; " + AnswerText.describe($0, now: now) } ?? ""
            var lines = ["\(head): \"\(Self.safe(stuck.reason))\" (waiting \(HumanDuration.describe(now.timeIntervalSince(stuck.since)))\(answer))"]
            if let context = stuck.context, !context.isEmpty { lines.append("     Context: \(Self.safe(context))") }
            if !stuck.options.isEmpty { lines.append("     Options: \(stuck.options.map(Self.safe).joined(separator: ", "))") }
            return lines
        case .prReady:
            let merged = view.git.hasOwnCommits == false ? nil : view.git.merged
            var line = "   - \(session.issue.tag)\(title) \(Self.safe(session.pr ?? session.branch))" + (merged.map { " (\($0.spoken))" } ?? "")
            if let pr = view.pullRequest {
                line += " · " + PullRequestText.describe(pr, mergedInGit: merged != nil) + PullRequestText.age(pr, now: now)
            }
            return [line]
        case .paused:
            let from = session.pausedFrom.map { ", was \(Self.safe($0.fileValue))" } ?? ""
            return ["\(head) (paused \(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate)))\(from))"]
        case .planReady:
            let plan = session.planSummary.map { ["     " + PlanText.summaryLine($0, now: now)] } ?? []
            return ["\(head) (plan waiting \(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate))))"] + plan
        case .other:
            return ["\(head) [\(Self.safe(session.status.fileValue))] (\(active))"]
        case .cancelled, .complete:
            return [head]
        case .working, .planning, .starting:
            return ["\(head) (\(active))"]
        }
    }

    /// Untrusted text (titles, reasons, branches, paths, other tools' statuses) made safe to print.
    public static func safe(_ text: String) -> String { TerminalText.escaped(text) }

    func bold(_ text: String) -> String { color ? "\u{1B}[1m\(text)\u{1B}[0m" : text }

    /// Paths under the home folder as `~/…`, for people; JSON keeps them whole.
    public func shorten(_ text: String) -> String {
        guard let home, home.count > 1 else { return text }
        if text == home { return "~" }
        return text.replacingOccurrences(of: home + "/", with: "~/")
    }
}
