import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support

/// Doctor's findings and repairs for people.
public enum DoctorText {
    public static func render(_ report: DoctorReport, fixed: Bool) -> String {
        var lines: [String] = []
        if report.found.isEmpty { return "✔ healthy: git and the session files agree." }
        lines.append("Found \(report.found.count) problem\(report.found.count == 1 ? "" : "s"):")
        for problem in report.found { lines.append(describe(problem)) }
        if fixed {
            lines.append("Repairs:")
            lines += report.repairs.isEmpty ? ["   (none applied)"] : report.repairs.map { "   - \(TerminalText.escaped($0))" }
            if report.remaining.isEmpty {
                lines.append("✔ healthy after repairs.")
            } else {
                lines.append("Still left (\(report.remaining.count)); these need a human:")
                for problem in report.remaining { lines.append(describe(problem)) }
            }
        } else if report.found.contains(where: \.fixable) {
            lines.append("Run 'ppds doctor --fix' to repair the ones marked [fixable].")
        }
        return lines.joined(separator: "\n")
    }

    public static func describe(_ problem: Problem) -> String {
        let who = problem.issue.map { "\($0.tag) " } ?? ""
        return "   - \(problem.name) \(who)\(problem.fixable ? "[fixable] " : "")\(TerminalText.escaped(ProblemText.message(problem)))"
    }
}
