import Foundation

/// A key as the interactive `ppds watch` sees it.
public enum WatchKey: Equatable, Sendable {
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    /// Ctrl-C read as a byte (the terminal normally turns it into SIGINT first).
    case interrupt
    /// A printable character (never a control character).
    case char(Character)
}

/// Turns the bytes read from a raw-mode terminal into keys. Escape sequences (arrows, Page
/// Up/Down, Home/End) and UTF-8 characters may arrive split over several reads: an unfinished
/// one is kept until more bytes come, or until `flush` (the caller's short timeout) says no more
/// are coming; then a lone ESC is the Escape key.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []
    /// An escape sequence longer than this is no key anyone pressed: dropped.
    static let longestSequence = 16

    public init() {}

    /// Whether bytes wait for the rest of their sequence (the caller then reads with a short
    /// timeout and calls `flush` when nothing comes).
    public var isWaiting: Bool { !pending.isEmpty }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [WatchKey] {
        pending += bytes
        var keys: [WatchKey] = []
        while let decoded = Self.decode(pending[...]) {
            pending.removeFirst(decoded.used)
            if let key = decoded.key { keys.append(key) }
        }
        return keys
    }

    /// Nothing more came: what waits is taken as it is (a lone ESC is Escape; the rest of an
    /// unfinished sequence is dropped).
    public mutating func flush() -> [WatchKey] {
        defer { pending = [] }
        return pending == [0x1B] ? [.escape] : []
    }

    /// The first key in `bytes` and how many bytes it took (a nil key: bytes to drop); nil when
    /// the first key is not complete yet.
    static func decode(_ bytes: ArraySlice<UInt8>) -> (key: WatchKey?, used: Int)? {
        guard let first = bytes.first else { return nil }
        switch first {
        case 0x1B: return escapeSequence(bytes)
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x09: return (.tab, 1)
        case 0x03: return (.interrupt, 1)
        case 0x00..<0x20: return (nil, 1)
        case 0x20..<0x80: return (.char(Character(Unicode.Scalar(first))), 1)
        default: return utf8(bytes)
        }
    }

    static func escapeSequence(_ bytes: ArraySlice<UInt8>) -> (WatchKey?, Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let introducer = bytes[start + 1]
        // ESC followed by anything else: Escape, then that byte on its own (Alt+key).
        guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else { return (.escape, 1) }
        // Parameters (0x20–0x3F), then one final byte (0x40–0x7E).
        var index = start + 2
        while index < bytes.endIndex, (0x20...0x3F).contains(bytes[index]) { index += 1 }
        guard index < bytes.endIndex else {
            if bytes.count > longestSequence { return (nil, bytes.count) }
            return nil
        }
        let used = index - start + 1
        let final = bytes[index]
        guard (0x40...0x7E).contains(final) else { return (nil, used) }
        let parameters = String(decoding: bytes[(start + 2)..<index], as: UTF8.self)
        let key: WatchKey?
        switch (Character(Unicode.Scalar(final)), parameters) {
        case ("A", _): key = .up
        case ("B", _): key = .down
        case ("C", _): key = .right
        case ("D", _): key = .left
        case ("H", _): key = .home
        case ("F", _): key = .end
        case ("~", "1"), ("~", "7"): key = .home
        case ("~", "4"), ("~", "8"): key = .end
        case ("~", "5"): key = .pageUp
        case ("~", "6"): key = .pageDown
        default: key = nil
        }
        return (key, used)
    }

    static func utf8(_ bytes: ArraySlice<UInt8>) -> (WatchKey?, Int)? {
        let first = bytes[bytes.startIndex]
        let length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0
        guard length > 0, first < 0xF8 else { return (nil, 1) }
        guard bytes.count >= length else { return nil }
        let sequence = bytes.prefix(length)
        guard let text = String(validating: sequence, as: UTF8.self), let character = text.first,
              !character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { return (nil, length) }
        return (.char(character), length)
    }
}

/// What a key asks of the view.
public enum WatchAction: Equatable, Sendable {
    case move(Int)
    case page(Int)
    case first, last
    case attach
    /// A digit: answer the chosen stuck session with option `n` (1-based).
    case answer(Int)
    case guide, approve, revise, pauseOrResume, log, help, quit
    /// Closes help or the log, or clears the status line's message.
    case dismiss
    /// The one-line editor.
    case type(Character), erase, submit, cancel
    case none
}

/// The keys, as a pure table: key and mode in, action out.
public enum WatchKeys {
    public static func action(for key: WatchKey, in mode: WatchMode) -> WatchAction {
        switch mode {
        case .input:
            switch key {
            case .char(let character): return .type(character)
            case .backspace: return .erase
            case .enter: return .submit
            case .escape, .interrupt: return .cancel
            default: return .none
            }
        case .help:
            return key == .char("q") || key == .interrupt ? .quit : .dismiss
        case .log:
            switch key {
            case .up, .char("k"): return .move(-1)
            case .down, .char("j"): return .move(1)
            case .pageUp, .char("b"): return .page(-1)
            case .pageDown, .char(" "): return .page(1)
            case .home: return .first
            case .end: return .last
            case .interrupt: return .quit
            case .escape, .enter, .char("q"), .char("l"): return .dismiss
            default: return .none
            }
        case .list:
            switch key {
            case .up, .char("k"): return .move(-1)
            case .down, .char("j"): return .move(1)
            case .pageUp: return .page(-1)
            case .pageDown: return .page(1)
            case .home: return .first
            case .end: return .last
            case .enter: return .attach
            case .char(let c) where c.isASCII && c.isNumber && c != "0": return .answer(Int(String(c))!)
            case .char("g"): return .guide
            case .char("a"): return .approve
            case .char("r"): return .revise
            case .char("p"): return .pauseOrResume
            case .char("l"): return .log
            case .char("?"), .char("h"): return .help
            case .char("q"), .interrupt: return .quit
            case .escape: return .dismiss
            default: return .none
            }
        }
    }

    /// The keys as `?` shows them and the README lists them.
    public static let help: [(keys: String, does: String)] = [
        ("↑ ↓  k j", "choose a session (PgUp PgDn Home End too)"),
        ("Enter", "attach to its worker (ppds attach)"),
        ("1–9", "answer a stuck session with that option"),
        ("g", "type guidance for it (Enter sends, Esc cancels)"),
        ("a", "approve its plan"),
        ("r", "send its plan back (type what to change)"),
        ("p", "pause it, or resume it"),
        ("l", "its worker's log (ppds logs; ↑ ↓ scroll, q back)"),
        ("?", "these keys"),
        ("q", "quit (Ctrl-C too)"),
    ]
}
