import Foundation
import SessionKit
import Support

/// What the interactive watch is doing: showing the list, the keys, a log, or reading a line.
public enum WatchMode: Equatable, Sendable {
    case list
    case help
    case input(WatchInput)
    case log(WatchLog)
}

/// The one-line editor in the status line: guidance for a session, or what to change in its plan.
public struct WatchInput: Equatable, Sendable {
    public enum Purpose: Equatable, Sendable {
        case guidance
        /// Sending back the plan version the user saw.
        case revise(version: Int?)
    }

    public var purpose: Purpose
    public var issue: IssueNumber
    public var text: String

    public init(purpose: Purpose, issue: IssueNumber, text: String = "") {
        self.purpose = purpose
        self.issue = issue
        self.text = text
    }

    /// The prompt before the typed text: how to send or cancel until something is typed.
    public var prompt: String {
        let how = text.isEmpty ? " (Enter sends, Esc cancels)" : ""
        switch purpose {
        case .guidance: return "guidance for \(issue.tag)\(how): "
        case .revise: return "what to change in \(issue.tag)'s plan\(how): "
        }
    }
}

/// A worker's log, as `ppds logs` printed it (each line escaped already), and where it is scrolled to.
public struct WatchLog: Equatable, Sendable {
    public var issue: IssueNumber
    public var lines: [String]
    public var top: Int

    public init(issue: IssueNumber, lines: [String], top: Int = 0) {
        self.issue = issue
        self.lines = lines
        self.top = top
    }

    /// What `ppds logs` printed, as lines to show: colour codes (SGR: ESC [ digits and ; m) are
    /// dropped, since an agent's pane is full of them; everything else unsafe is escaped.
    public static func lines(of output: String) -> [String] {
        // "\r\n" is one Character, and a lone "\r" (a progress bar) starts a line on a terminal too.
        var lines = output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { line in
            TerminalText.escaped(String(line).replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression))
        }
        if lines.last == "" { lines.removeLast() }
        return lines.isEmpty ? ["(the log is empty)"] : lines
    }
}

/// One session as the interactive watch lists it. Every text here is escaped already.
public struct WatchRow: Equatable, Sendable {
    public var issue: IssueNumber
    public var status: SessionStatus
    /// The status as a short word for the list column.
    public var label: String
    /// Title and what it waits for, on one line.
    public var summary: String
    /// Lines for the detail pane under the list.
    public var detail: [String]
    /// The stuck question's options (raw, for the answer: a digit picks one).
    public var options: [String]
    /// The plan version waiting for review, when one waits.
    public var planWaiting: Int?
    /// "new", "changed" or "stuck" since the previous view (as the plain watch marks them).
    public var change: String?

    public init(_ view: SessionView, change: String? = nil, now: Date = Date(), home: String? = nil) {
        let session = view.session
        let safe = { (text: String) in TerminalText.escaped(text) }
        let group = StatusGroup.of(session)
        issue = session.issue
        status = session.status
        self.change = change
        options = session.status == .stuck ? session.stuck?.options ?? [] : []
        planWaiting = session.planWaitsForReview ? session.latestPlan?.version : nil
        switch group {
        case .stuck: label = "stuck"
        case .planReady: label = "plan"
        case .prReady: label = "PR ready"
        case .working: label = "working"
        case .planning: label = "planning"
        case .starting: label = "starting"
        case .paused: label = "paused"
        case .complete: label = "complete"
        case .cancelled: label = "cancelled"
        case .other: label = safe(session.status.fileValue)
        }
        var summary = safe(session.title ?? session.branch)
        var detail: [String] = []
        let text = StatusText(now: now, home: home)
        detail.append("\(session.issue.tag) \(safe(session.branch)) · \(safe(text.shorten(session.worktree)))")
        switch group {
        case .stuck:
            if let stuck = session.stuck {
                summary += " — " + safe(stuck.reason)
                detail.append("stuck \(HumanDuration.describe(now.timeIntervalSince(stuck.since))): \(safe(stuck.reason))")
                if let context = stuck.context, !context.isEmpty { detail.append("context: \(safe(context))") }
                if let answer = session.stuckAnswer { detail.append("(\(AnswerText.describe(answer, now: now)))") }
                detail += stuck.options.enumerated().map { "\($0.offset + 1)) \(safe($0.element))" }
                detail.append(stuck.options.isEmpty ? "g types guidance" : "1–\(min(stuck.options.count, 9)) answers with that option · g types guidance")
            }
        case .planReady:
            if let plan = session.planSummary {
                summary += " — plan v\(plan.version) waiting"
                detail.append(PlanText.summaryLine(plan, now: now))
                detail.append("a approves · r sends it back")
            }
        case .prReady:
            if let pr = session.pr { summary += " — " + safe(pr) }
        case .paused:
            let from = session.pausedFrom.map { " (was \(safe($0.fileValue)))" } ?? ""
            detail.append("paused \(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate)))\(from) · p resumes")
        default:
            detail.append("\(safe(session.status.fileValue)), started \(HumanDuration.describe(now.timeIntervalSince(session.started))) ago")
        }
        self.summary = summary
        self.detail = detail
    }

    /// The rows in the order the plain view groups them (what needs a human first), by issue within a group.
    public static func rows(_ report: StatusReport, changes: [IssueNumber: String] = [:], now: Date = Date(), home: String? = nil) -> [WatchRow] {
        let order = Dictionary(uniqueKeysWithValues: StatusGroup.allCases.enumerated().map { ($0.element, $0.offset) })
        return report.sessions
            .sorted { (order[StatusGroup.of($0.session)]!, $0.session.issue) < (order[StatusGroup.of($1.session)]!, $1.session.issue) }
            .map { WatchRow($0, change: changes[$0.session.issue], now: now, home: home) }
    }
}

/// What the command must do for an action: the Lifecycle operation, or a program that takes
/// the terminal. The state machine below never does any of it itself.
public enum WatchEffect: Equatable, Sendable {
    case attach(IssueNumber)
    case answer(IssueNumber, option: String)
    case guide(IssueNumber, message: String)
    case approve(IssueNumber, version: Int?)
    case revise(IssueNumber, message: String, version: Int?)
    case pause(IssueNumber)
    case resume(IssueNumber)
    case log(IssueNumber)
    case quit
}

/// The interactive watch's state: the chosen session, the mode, the status line's message and
/// the list's scroll position. `apply` is pure: an action and the rows in, the new state and at
/// most one effect out.
public struct WatchState: Equatable, Sendable {
    public var selected: IssueNumber?
    public var mode: WatchMode = .list
    /// The status line's message (escaped already), until the next key.
    public var message: String?
    /// The first session row shown (the list scrolls to keep the chosen one in view).
    public var listTop = 0

    public init(selected: IssueNumber? = nil) {
        self.selected = selected
    }

    /// Keeps the choice on the same session as rows come and go; the first one when it went.
    public mutating func reconcile(_ rows: [WatchRow]) {
        if let selected, rows.contains(where: { $0.issue == selected }) { return }
        selected = rows.first?.issue
    }

    /// `page`: how many rows one page scrolls (the list's or the log's height).
    public mutating func apply(_ action: WatchAction, rows: [WatchRow], page: Int) -> WatchEffect? {
        if action == .quit { return .quit }
        switch mode {
        case .help:
            mode = .list
            return nil
        case .input(var input):
            switch action {
            case .type(let character):
                input.text.append(character)
                mode = .input(input)
            case .erase:
                if !input.text.isEmpty { input.text.removeLast() }
                mode = .input(input)
            case .cancel:
                mode = .list
                message = "nothing sent"
            case .submit:
                let text = input.text.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else {
                    mode = .list
                    message = "empty: nothing sent"
                    return nil
                }
                mode = .list
                switch input.purpose {
                case .guidance: return .guide(input.issue, message: text)
                case .revise(let version): return .revise(input.issue, message: text, version: version)
                }
            default: break
            }
            return nil
        case .log(var log):
            let last = max(0, log.lines.count - page)
            switch action {
            case .move(let delta): log.top += delta
            case .page(let delta): log.top += delta * max(1, page - 1)
            case .first: log.top = 0
            case .last: log.top = last
            case .dismiss: mode = .list; return nil
            default: return nil
            }
            log.top = min(max(0, log.top), last)
            mode = .log(log)
            return nil
        case .list:
            return applyInList(action, rows: rows, page: page)
        }
    }

    private mutating func applyInList(_ action: WatchAction, rows: [WatchRow], page: Int) -> WatchEffect? {
        message = nil
        let index = rows.firstIndex { $0.issue == selected }
        func choose(_ target: Int) {
            guard !rows.isEmpty else { return }
            selected = rows[min(max(0, target), rows.count - 1)].issue
        }
        switch action {
        case .move(let delta): choose((index ?? 0) + delta)
        case .page(let delta): choose((index ?? 0) + delta * max(1, page - 1))
        case .first: choose(0)
        case .last: choose(rows.count - 1)
        case .help: mode = .help
        case .dismiss, .none, .type, .erase, .submit, .cancel, .quit: break
        case .attach, .answer, .guide, .approve, .revise, .pauseOrResume, .log:
            guard let index else {
                message = "no session to act on"
                return nil
            }
            return act(action, on: rows[index])
        }
        return nil
    }

    private mutating func act(_ action: WatchAction, on row: WatchRow) -> WatchEffect? {
        let tag = row.issue.tag
        switch action {
        case .attach: return .attach(row.issue)
        case .log: return .log(row.issue)
        case .guide: mode = .input(WatchInput(purpose: .guidance, issue: row.issue))
        case .answer(let number):
            guard row.status == .stuck else {
                message = "\(tag) is not stuck (\(row.label)): a digit answers a stuck session's question; g types guidance"
                return nil
            }
            guard row.options.indices.contains(number - 1) else {
                message = row.options.isEmpty ? "\(tag)'s question has no options: g types guidance"
                                              : "\(tag) has no option \(number): 1–\(row.options.count)"
                return nil
            }
            return .answer(row.issue, option: row.options[number - 1])
        case .approve:
            guard let version = row.planWaiting else {
                message = "\(tag) has no plan waiting for review"
                return nil
            }
            return .approve(row.issue, version: version)
        case .revise:
            guard let version = row.planWaiting else {
                message = "\(tag) has no plan waiting for review"
                return nil
            }
            mode = .input(WatchInput(purpose: .revise(version: version), issue: row.issue))
        case .pauseOrResume: return row.status == .paused ? .resume(row.issue) : .pause(row.issue)
        default: break
        }
        return nil
    }
}

/// The screen for one state: a line per terminal row, each fitting the width. Pure: the
/// terminal side compares it with the previous frame and rewrites only the lines that differ.
public enum WatchFrame {
    /// The keys the status line shows when it has nothing else to say.
    public static let hint = "↑↓ choose  Enter attach  1-9 answer  g guide  a/r plan  p pause  l log  ? keys"

    /// `header`: the first line (counts); `stamp` follows it, after the list's position when it
    /// scrolls, and is what a narrow window cuts first. Returns the lines (exactly `height` of them)
    /// and the list's first shown row (kept in the state so the list scrolls smoothly).
    public static func render(_ sessions: [WatchRow], state: WatchState, header: String, stamp: String = "",
                              width columns: Int, height rows: Int, color: Bool = false) -> (lines: [String], listTop: Int) {
        let width = max(10, columns - 1)  // never the last column: a full line would wrap
        let height = max(3, rows)
        var lines = [header]
        var listTop = state.listTop
        let body = height - 2
        switch state.mode {
        case .help:
            lines.append(fit("Keys:", width))
            lines += WatchKeys.help.map { fit("  " + $0.keys.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.does, width) }
            lines.append(fit("any key returns to the list", width))
        case .log(let log):
            lines.append(fit("── log of \(log.issue.tag) (\(log.lines.count) lines; ↑↓ PgUp PgDn scroll, q back)", width))
            lines += log.lines.dropFirst(log.top).prefix(body - 1).map { fit($0, width) }
        case .list, .input:
            let chosen = sessions.first { $0.issue == state.selected }
            let detail = chosen.map { ["── " + ($0.detail.first ?? "")] + Array($0.detail.dropFirst()) } ?? []
            // The detail pane takes what the list leaves, at most 6 lines, at least 3 when it can.
            let detailRoom = body >= 8 ? min(detail.count, 6, max(3, body - sessions.count)) : 0
            let listRoom = max(1, body - detailRoom)
            let index = sessions.firstIndex { $0.issue == state.selected } ?? 0
            if sessions.count <= listRoom { listTop = 0 }
            listTop = min(max(0, listTop), max(0, sessions.count - listRoom))
            if index < listTop { listTop = index }
            if index >= listTop + listRoom { listTop = index - listRoom + 1 }
            if sessions.isEmpty { lines.append("No sessions.") }
            for row in sessions.dropFirst(listTop).prefix(listRoom) {
                let mark = row.issue == state.selected ? "> " : "  "
                let change = row.change.map { $0 == "stuck" ? " ◀ NEW STUCK" : " ◀ " + $0 } ?? ""
                let line = fit(mark + row.issue.tag.padding(toLength: 7, withPad: " ", startingAt: 0)
                               + fit(row.label, 9).padding(toLength: 10, withPad: " ", startingAt: 0) + row.summary, width - Self.width(of: change)) + change
                lines.append(color && row.issue == state.selected ? "\u{1B}[7m" + line + "\u{1B}[0m" : line)
            }
            if sessions.count > listRoom {
                lines[0] += " — \(listTop + 1)–\(min(sessions.count, listTop + listRoom)) of \(sessions.count)"
            }
            lines += detail.prefix(detailRoom).map { fit($0, width) }
        }
        while lines.count < height - 1 { lines.append("") }
        lines = Array(lines.prefix(height - 1))
        if !stamp.isEmpty { lines[0] += " — " + stamp }
        lines[0] = fit(lines[0], width)
        lines.append(statusLine(state, width: width))
        return (lines, listTop)
    }

    /// What to write to turn the screen showing `previous` into `lines`: each line that differs
    /// is rewritten in place (cursor to its row, the line, erase to its end); a frame of another
    /// height (a resize, the first frame) clears the screen and writes every line.
    public static func updates(from previous: [String], to lines: [String]) -> String {
        let whole = previous.count != lines.count
        var out = whole ? "\u{1B}[H\u{1B}[2J" : ""
        for (row, line) in lines.enumerated() where whole || previous[row] != line {
            out += "\u{1B}[\(row + 1);1H" + line + "\u{1B}[K"
        }
        return out
    }

    static func statusLine(_ state: WatchState, width: Int) -> String {
        if case .input(let input) = state.mode {
            // Shows the end of what was typed, escaped (pasted text could hold anything).
            let prompt = fit(input.prompt, max(width / 2, width - 24))
            let room = width - Self.width(of: prompt) - 1
            var shown = TerminalText.escaped(input.text)
            if Self.width(of: shown) > room {
                while Self.width(of: shown) > room - 1, !shown.isEmpty { shown.removeFirst() }
                shown = "…" + shown
            }
            return prompt + shown + "█"
        }
        return fit(state.message ?? hint, width)
    }

    /// `text` cut to `width` columns, with "…" where it was cut.
    public static func fit(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard Self.width(of: text) > width else { return text }
        var out = ""
        var used = 0
        for character in text {
            let columns = Self.width(of: character)
            if used + columns > width - 1 { break }
            out.append(character)
            used += columns
        }
        return out + "…"
    }

    /// Columns a text takes on a terminal (East Asian wide characters and emoji take two).
    public static func width(of text: String) -> Int { text.reduce(0) { $0 + Self.width(of: $1) } }

    static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        switch first.value {
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: return 0
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD: return 2
        default: return 1
        }
    }
}
