import Foundation
import SessionKit
import Support

/// A plan for people: `ppds plan`, `ppds next`. The plan is the worker's words (anyone's, in a
/// replicated file): every line is escaped and indented, so nothing in it can pass for ppds's
/// own output or reach the terminal as a control sequence.
public enum PlanText {
    /// One version: a header line, the indented text, then its answers.
    public static func render(_ plan: PlanVersion, of session: Session, now: Date = Date(), answers: Bool = true) -> String {
        var lines = [header(plan, of: session, now: now)]
        lines += body(plan.text)
        if answers {
            for answer in plan.answers { lines.append("  → " + describe(answer, now: now)) }
        }
        return lines.joined(separator: "\n")
    }

    /// Every version, oldest first, each with its answers.
    public static func history(_ session: Session, now: Date = Date()) -> String {
        session.plans.map { render($0, of: session, now: now) }.joined(separator: "\n\n")
    }

    static func header(_ plan: PlanVersion, of session: Session, now: Date) -> String {
        let latest = plan.version == session.latestPlan?.version
        let state: String
        if let answer = plan.answer {
            state = answer.verdict == .approved ? "approved" : "sent back"
        } else if latest, let summary = session.planSummary {
            state = summary.state == .waiting ? "waiting for review" : "not answered (the session is \(TerminalText.escaped(session.status.fileValue)))"
        } else {
            state = "replaced"
        }
        return "\(session.issue.tag) plan v\(plan.version) · attached \(AnswerText.ago(plan.at, now)) · \(state)"
    }

    /// The plan's lines, escaped and indented.
    public static func body(_ text: String) -> [String] {
        var lines = TerminalText.escaped(text, keepingNewlines: true).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : "    " + $0 }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }

    /// "approved by ana on laptop 3 min ago: message".
    public static func describe(_ answer: PlanAnswer, now: Date = Date()) -> String {
        let verdict = answer.verdict == .approved ? "approved" : "changes requested"
        let words = answer.message.map { ": " + TerminalText.escaped($0) } ?? ""
        return "\(verdict) by \(TerminalText.escaped(answer.by.described)) \(AnswerText.ago(answer.at, now))\(words)"
    }

    /// The plan line of `status` and `show`: "plan v2 (attached 5 min ago): First line".
    public static func summaryLine(_ summary: PlanSummary, now: Date = Date()) -> String {
        let state: String
        switch summary.state {
        case .waiting: state = "waiting for review"
        case .approved: state = "approved"
        case .revise: state = "sent back"
        case .unanswered: state = "not answered"
        }
        return "plan v\(summary.version), \(state), attached \(AnswerText.ago(summary.at, now)): \(TerminalText.escaped(summary.firstLine))"
    }
}
