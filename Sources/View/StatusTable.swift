import Foundation
import Lifecycle
import SessionKit
import Support

/// The orchestrator view as one line per session, in columns: `status --table` and `ppds list`.
public struct StatusTable {
    public var now: Date
    public var home: String?

    public init(now: Date = Date(), home: String? = ProcessInfo.processInfo.environment["HOME"]) {
        self.now = now
        self.home = home
    }

    public func render(_ report: StatusReport) -> String {
        let text = StatusText(now: now, home: home)
        var rows: [[String]] = [["ISSUE", "STATUS", "BRANCH", "AHEAD/BEHIND", "DIRTY", "UPDATED", "PATH"]]
        let ordered = StatusGroup.allCases.flatMap { group in report.sessions.filter { StatusGroup.of($0.session) == group } }
        for view in ordered {
            let session = view.session, git = view.git
            let counts = git.ahead.map { ahead in "+\(ahead)/-\(git.behind ?? 0)" } ?? "-"
            let dirty = git.dirty.map { $0.isDirty ? "yes" : "no" } ?? "?"
            rows.append([session.issue.tag, StatusText.safe(session.status.fileValue), StatusText.safe(session.branch), counts, dirty,
                         HumanDuration.describe(now.timeIntervalSince(session.lastUpdate)) + " ago",
                         StatusText.safe(text.shorten(session.worktree))])
        }
        if rows.count == 1 { return "No sessions." }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
