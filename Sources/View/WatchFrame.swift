import Foundation
import SessionKit
import Support

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
            // The list takes what it needs up to half the rows; the detail pane (a stuck session's
            // every option included) takes the rest it needs, at least 3 rows when it can.
            let listWants = min(sessions.count, max(1, body / 2))
            let detailRoom = body >= 8 ? min(detail.count, max(3, body - listWants)) : 0
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
