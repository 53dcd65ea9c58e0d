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
