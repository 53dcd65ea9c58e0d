import Foundation
import Lifecycle
import SessionKit
import Support
import Replication

/// `ppds sync` for people: what changed, the conflicts, and the totals.
public enum SyncText {
    public static func render(_ report: SyncReport) -> String {
        let safe = { (text: String) in TerminalText.escaped(text) }
        var lines: [String] = []
        for result in report.sessions where result.outcome != .unchanged || result.pushed {
            let who = result.machine.map { " [\(safe($0.label))]" } ?? ""
            let verb: String = switch result.outcome {
            case .unchanged: "pushed"
            case .recorded: "recorded local changes"
            case .fastForwarded: "took the remote's changes"
            case .merged: "merged changes from both sides"
            case .mirrored: "copied from another machine"
            case .conflict: "CONFLICT"
            case .failed: "FAILED"
            case .ended: "ended (pruned by its machine)"
            case .refused: "REFUSED"
            }
            var line = "   - \(result.issue.tag)\(who) \(verb)"
            if result.pushed && result.outcome != .unchanged { line += ", pushed" }
            if let message = result.message { line += ": " + safe(message) }
            lines.append(line)
        }
        let changed = report.sessions.filter { $0.outcome != .unchanged || $0.pushed }.count
        var summary = "Synced \(report.sessions.count) session\(report.sessions.count == 1 ? "" : "s") with '\(safe(report.remote))' as \(safe(report.machine.label))"
        summary += changed == 0 ? ": nothing changed." : ": \(changed) changed, \(report.pushedRefs) pushed."
        if report.rounds > 1 { summary += " (\(report.rounds) rounds: another machine pushed meanwhile)" }
        return ([summary] + lines).joined(separator: "\n")
    }
}
