import Foundation
import Lifecycle
import SessionKit
import Support
import LifecycleCore
import Replication

/// Other machines' sessions (the mirror folder `ppds sync` fills), for `status --everywhere`:
/// the same groups as the local view, each line with the machine's label. No git facts: their
/// worktrees are on other machines, so no problem is reported for them.
public struct EverywhereText {
    public var now: Date

    public init(now: Date = Date()) { self.now = now }

    public static func sessions(_ workspace: Workspace) -> [Session] {
        workspace.mirrorStore.list().sessions
    }

    public func render(_ sessions: [Session]) -> String {
        guard !sessions.isEmpty else {
            return "🌐 Other machines: no session of another machine is mirrored here ('ppds sync' brings them; one that also runs here is a conflict, see 'ppds doctor')"
        }
        var lines = ["🌐 Other machines: \(sessions.count) session\(sessions.count == 1 ? "" : "s")"]
        for group in StatusGroup.allCases {
            for session in sessions where StatusGroup.of(session) == group {
                let label = session.machine.map { "[\(TerminalText.escaped($0.label))] " } ?? ""
                var line = "   - \(session.issue.tag) \(label)\(TerminalText.escaped(session.status.fileValue)) \(TerminalText.escaped(session.branch))"
                if let stuck = session.stuck, session.status == .stuck {
                    line += ": \"\(TerminalText.escaped(stuck.reason))\" (waiting \(HumanDuration.describe(now.timeIntervalSince(stuck.since))))"
                }
                if let from = session.pausedFrom { line += " (was \(TerminalText.escaped(from.fileValue)))" }
                if let pr = session.pr { line += " " + TerminalText.escaped(pr) }
                lines.append(line)
                if session.status == .stuck, let options = session.stuck?.options, !options.isEmpty {
                    lines.append("     Options: \(options.map { TerminalText.escaped($0) }.joined(separator: ", "))")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ sessions: [Session]) -> JSONValue {
        .array(sessions.map { $0.json.objectValue })
    }
}
