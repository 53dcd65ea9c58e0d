import Foundation
import SessionKit
import Support

/// The orchestrator's question for one stuck session (`ppds guide` with no message, `ppds
/// next`), and how a typed answer becomes guidance.
public enum GuidePrompt {
    /// The session's question: reason, context, numbered options, and any answer so far.
    public static func render(_ session: Session, now: Date = Date()) -> String {
        let safe = { (text: String) in TerminalText.escaped(text) }
        var lines = ["\(session.issue.tag) \(safe(session.title ?? session.branch))"]
        if let stuck = session.stuck {
            lines.append("  stuck \(HumanDuration.describe(now.timeIntervalSince(stuck.since))): \(safe(stuck.reason))")
            if let context = stuck.context, !context.isEmpty { lines.append("  context: \(safe(context))") }
            for (index, option) in stuck.options.enumerated() { lines.append("  \(index + 1)) \(safe(option))") }
            if let answer = session.stuckAnswer { lines.append("  (\(AnswerText.describe(answer, now: now)))") }
        } else {
            lines.append("  status: \(safe(session.status.fileValue)) (not stuck)")
        }
        return lines.joined(separator: "\n")
    }

    /// The line that asks for the answer.
    public static func question(for session: Session) -> String {
        let count = session.stuck?.options.count ?? 0
        return count > 0 ? "Your guidance (1–\(count) for an option, or your own words; empty to skip): "
                         : "Your guidance (empty to skip): "
    }

    /// Why a typed line cannot be taken: a number that names no option (0, -1, one past the
    /// last), which is a slip of the finger far more often than meant as guidance. Nil when
    /// the line is fine, always when there are no options (then a number is just words), and
    /// for a number that is an option's own text.
    public static func problem(with line: String, options: [String]) -> String? {
        let typed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !options.isEmpty, !options.contains(typed) else { return nil }
        let digits = typed.hasPrefix("-") || typed.hasPrefix("+") ? typed.dropFirst() : Substring(typed)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if let number = Int(typed), options.indices.contains(number - 1) { return nil }
        return "there is no option \(TerminalText.escaped(typed)); type 1–\(options.count), or your own words"
    }

    /// The guidance a typed line stands for: an option's text for its number, otherwise the
    /// words as typed. Nil for an empty line.
    public static func guidance(from line: String, options: [String]) -> String? {
        let typed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty else { return nil }
        if let number = Int(typed), options.indices.contains(number - 1) { return options[number - 1] }
        return typed
    }
}
