import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support

/// Prune's results for people (its warnings go to stderr, by the caller).
public enum PruneText {
    public static func render(_ report: PruneReport) -> String {
        var lines: [String] = []
        if report.results.isEmpty { lines.append("Nothing to prune.") }
        for result in report.results {
            let who = TerminalText.escaped(result.issue?.tag ?? (result.worktree ?? "?"))
            lines.append("\(symbol(result.outcome)) \(who) \(result.outcome.rawValue): " + (result.branch.map { TerminalText.escaped($0) + " — " } ?? "") + TerminalText.escaped(result.reason))
            if !result.ignored.isEmpty, result.outcome == .wouldRemove || result.outcome == .removed {
                lines.append("    ignored content \(result.outcome == .removed ? "moved to the trash" : "that would go to the trash") with it: \(TerminalText.escaped(result.ignored.joined(separator: ", ")))")
            }
            if !result.unique.isEmpty, result.outcome == .removed {
                lines.append("    found nowhere else (kept in the trash): \(TerminalText.escaped(result.unique.joined(separator: "; ")))")
            }
        }
        for entry in report.staleEntries {
            lines.append("\(report.dryRun ? "would prune" : "pruned") stale worktree entry \(TerminalText.escaped(entry))")
        }
        return lines.joined(separator: "\n")
    }

    public static func symbol(_ outcome: PruneOutcome) -> String {
        switch outcome {
        case .removed: "🗑 "
        case .wouldRemove: "→"
        case .failed: "✘"
        default: "·"
        }
    }
}
