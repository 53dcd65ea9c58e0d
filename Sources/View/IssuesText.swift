import Foundation
import Lifecycle
import SessionKit
import Support

/// `ppds issues` for people: one line per issue, in the board's order, text from the tracker
/// escaped for the terminal.
public struct IssuesText {
    public var now: Date

    public init(now: Date = Date()) { self.now = now }

    public func render(_ board: IssueBoard) -> String {
        var lines: [String] = []
        if let note = board.note { lines.append("note: " + TerminalText.escaped(note)) }
        if board.entries.isEmpty {
            lines.append(board.source == .cache ? "No issues in the cached list." : "No open issues match.")
            return lines.joined(separator: "\n")
        }
        let free = board.entries.filter { !$0.isClaimed }.count
        lines.append("\(board.entries.count) issue\(board.entries.count == 1 ? "" : "s"), \(free) unclaimed"
                     + (board.source == .cache ? " (cached \(ago(board.fetchedAt)))" : ""))
        for entry in board.entries { lines.append(describe(entry)) }
        return lines.joined(separator: "\n")
    }

    public func describe(_ entry: IssueBoardEntry) -> String {
        let issue = entry.issue
        var line = "   \(issue.number.tag) \(TerminalText.escaped(issue.title))"
        if !issue.labels.isEmpty { line += " [" + issue.labels.map { TerminalText.escaped($0) }.joined(separator: ", ") + "]" }
        if !issue.assignees.isEmpty { line += " @" + issue.assignees.map { TerminalText.escaped($0) }.joined(separator: ", @") }
        if issue.state == .closed { line += " (closed)" }
        var states: [String] = []
        if let session = entry.session {
            states.append("here: \(TerminalText.escaped(session.status.fileValue)) on \(TerminalText.escaped(session.branch)), started \(ago(session.started))")
        }
        if let elsewhere = entry.elsewhere {
            let machine = elsewhere.machine.map { TerminalText.escaped($0.label) } ?? "another machine"
            switch elsewhere.kind {
            case .session: states.append("on \(machine): \(TerminalText.escaped(elsewhere.status ?? "?"))" + (elsewhere.since.map { ", updated \(ago($0))" } ?? ""))
            case .claim: states.append("claimed by \(machine)" + (elsewhere.since.map { " \(ago($0))" } ?? ""))
            }
        }
        line += states.isEmpty ? " — free" : " — " + states.joined(separator: "; ")
        return line
    }

    func ago(_ date: Date) -> String { HumanDuration.describe(now.timeIntervalSince(date)) + " ago" }
}
