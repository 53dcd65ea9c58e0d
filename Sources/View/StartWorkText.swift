import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support

/// One start-work result for people.
public enum StartWorkText {
    public static func describe(_ result: StartResult) -> String {
        let safe = { (text: String) in TerminalText.escaped(text) }  // paths, file names, hook output
        var lines: [String] = []
        switch result.outcome {
        case .started(let session):
            lines.append("✔ \(result.issue.tag) started: \(safe(session.branch)) → \(safe(session.worktree))")
        case .existing(let session):
            lines.append("= \(result.issue.tag) already has a session (\(safe(session.status.fileValue))): \(safe(session.branch)) → \(safe(session.worktree))")
        case .recreated(let session, let note):
            lines.append("↻ \(result.issue.tag) recreated (\(safe(session.status.fileValue))): \(safe(session.branch)) → \(safe(session.worktree))")
            lines.append("    \(safe(note))")
        case .failed(let error):
            // Reasons from below often begin with the issue already: said once.
            var reason = error.message
            if reason.hasPrefix(result.issue.tag + ": ") { reason.removeFirst(result.issue.tag.count + 2) }
            lines.append("✘ \(result.issue.tag) failed: \(safe(reason))")
        case .claimedElsewhere(let message):
            lines.append("✋ \(safe(message))")
        }
        for file in result.copied { lines.append("    copied \(safe(file))") }
        for hook in result.hooks {
            lines.append("    \(hook.kind) \(hook.outcome.rawValue): \(safe(hook.command))" + (hook.message.map { " — \(safe($0))" } ?? ""))
        }
        for warning in result.warnings { lines.append("    warning: \(safe(warning))") }
        return lines.joined(separator: "\n")
    }
}
