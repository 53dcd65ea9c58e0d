import Foundation
import Testing
import SessionKit
import Support
import View
import Lifecycle

/// The interactive watch's pure parts, as tables: bytes → keys, key → action, action → state
/// and effect, state → frame.
@Suite struct WatchKeysTests {
    static func issue(_ value: Int) -> IssueNumber { IssueNumber(value)! }

    @Test func bytesBecomeKeysEvenWhenSequencesArriveSplit() {
        let cases: [(chunks: [[UInt8]], keys: [WatchKey])] = [
            ([Array("jk".utf8)], [.char("j"), .char("k")]),
            ([[0x1B, 0x5B, 0x41]], [.up]),
            ([[0x1B], [0x5B], [0x42]], [.down]),                       // one byte per read
            ([[0x1B, 0x5B], [0x35, 0x7E]], [.pageUp]),
            ([[0x1B, 0x4F, 0x41]], [.up]),                             // application cursor mode
            ([[0x1B, 0x5B, 0x31, 0x3B, 0x35, 0x41]], [.up]),           // Ctrl-Up: still up
            ([[0x0D], [0x7F], [0x03], [0x09]], [.enter, .backspace, .interrupt, .tab]),
            ([[0xC3], [0xA9]], [.char("é")]),                          // UTF-8 split
            ([[0xE2, 0x82], [0xAC, 0x31]], [.char("€"), .char("1")]),
            ([[0x1B, 0x71]], [.escape, .char("q")]),                   // Alt-q
            ([[0x1B, 0x5B, 0x32, 0x30, 0x30, 0x7E]], []),              // bracketed paste start: no key
            ([[0x01, 0x1A, 0xFF]], []),                                // other controls, invalid UTF-8
            ([[0xE2, 0x80, 0xAE]], []),                                // a bidi override is no character to type
        ]
        for (chunks, keys) in cases {
            var decoder = KeyDecoder()
            var got: [WatchKey] = []
            for chunk in chunks { got += decoder.feed(chunk) }
            #expect(got == keys, "\(chunks)")
            #expect(!decoder.isWaiting, "\(chunks)")
        }
    }

    @Test func aLoneEscapeWaitsThenIsEscape() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]) == [])
        #expect(decoder.isWaiting)
        #expect(decoder.flush() == [.escape])
        #expect(decoder.feed([0x1B, 0x5B]) == [])
        #expect(decoder.flush() == [])  // half a sequence is nothing
        // An endless sequence is dropped, not buffered for ever.
        #expect(decoder.feed([0x1B, 0x5B] + Array(repeating: 0x30, count: 40)) == [])
        #expect(!decoder.isWaiting)
    }

    @Test func keysMapToActionsPerMode() {
        let input = WatchMode.input(WatchInput(purpose: .guidance, issue: Self.issue(1)))
        let log = WatchMode.log(WatchLog(issue: Self.issue(1), lines: []))
        let cases: [(WatchKey, WatchMode, WatchAction)] = [
            (.up, .list, .move(-1)), (.char("k"), .list, .move(-1)), (.down, .list, .move(1)), (.char("j"), .list, .move(1)),
            (.pageDown, .list, .page(1)), (.home, .list, .first), (.end, .list, .last),
            (.enter, .list, .attach), (.char("1"), .list, .answer(1)), (.char("9"), .list, .answer(9)), (.char("0"), .list, .none),
            (.char("g"), .list, .guide), (.char("a"), .list, .approve), (.char("r"), .list, .revise),
            (.char("p"), .list, .pauseOrResume), (.char("l"), .list, .log), (.char("?"), .list, .help),
            (.char("q"), .list, .quit), (.interrupt, .list, .quit), (.escape, .list, .dismiss), (.char("x"), .list, .none),
            (.char("q"), input, .type("q")), (.char("1"), input, .type("1")), (.enter, input, .submit),
            (.escape, input, .cancel), (.backspace, input, .erase), (.up, input, .none),
            (.char("x"), .help, .dismiss), (.char("q"), .help, .quit),
            (.up, log, .move(-1)), (.char(" "), log, .page(1)), (.char("q"), log, .dismiss), (.escape, log, .dismiss),
        ]
        for (key, mode, action) in cases {
            #expect(WatchKeys.action(for: key, in: mode) == action, "\(key) in \(mode)")
        }
    }

    static func row(_ issue: Int, _ status: SessionStatus, options: [String] = [], plan: Int? = nil) -> WatchRow {
        var session = Session(issue: Self.issue(issue), status: status, branch: "feat/\(issue)", worktree: "/w/\(issue)", started: Date())
        if status == .stuck { session.stuck = StuckContext(reason: "which?", options: options, since: Date()) }
        var row = WatchRow(SessionView(session: session, git: SessionGitState()))
        row.planWaiting = plan
        return row
    }

    @Test func actionsChangeTheStateAndAskForEffects() {
        let rows = [Self.row(1, .stuck, options: ["sliding", "fixed"]), Self.row(2, .working), Self.row(3, .planningComplete, plan: 2),
                    Self.row(4, .paused)]
        struct Case { let start: WatchState; let action: WatchAction; let selected: Int?; let mode: WatchMode?; let effect: WatchEffect?; let message: String? }
        func at(_ issue: Int, _ mode: WatchMode = .list) -> WatchState {
            var state = WatchState(selected: Self.issue(issue))
            state.mode = mode
            return state
        }
        let typing = WatchMode.input(WatchInput(purpose: .guidance, issue: Self.issue(2), text: "use x"))
        let cases: [Case] = [
            Case(start: at(1), action: .move(1), selected: 2, mode: .list, effect: nil, message: nil),
            Case(start: at(1), action: .move(-1), selected: 1, mode: .list, effect: nil, message: nil),
            Case(start: at(4), action: .move(1), selected: 4, mode: .list, effect: nil, message: nil),
            Case(start: at(1), action: .last, selected: 4, mode: .list, effect: nil, message: nil),
            Case(start: at(1), action: .answer(2), selected: 1, mode: .list, effect: .answer(Self.issue(1), option: "fixed"), message: nil),
            Case(start: at(1), action: .answer(3), selected: 1, mode: .list, effect: nil, message: "#1 has no option 3: 1–2"),
            Case(start: at(2), action: .answer(1), selected: 2, mode: .list, effect: nil,
                 message: "#2 is not stuck (working): a digit answers a stuck session's question; g types guidance"),
            Case(start: at(3), action: .approve, selected: 3, mode: .list, effect: .approve(Self.issue(3), version: 2), message: nil),
            Case(start: at(2), action: .approve, selected: 2, mode: .list, effect: nil, message: "#2 has no plan waiting for review"),
            Case(start: at(3), action: .revise, selected: 3, mode: .input(WatchInput(purpose: .revise(version: 2), issue: Self.issue(3))), effect: nil, message: nil),
            Case(start: at(2), action: .pauseOrResume, selected: 2, mode: .list, effect: .pause(Self.issue(2)), message: nil),
            Case(start: at(4), action: .pauseOrResume, selected: 4, mode: .list, effect: .resume(Self.issue(4)), message: nil),
            Case(start: at(2), action: .attach, selected: 2, mode: .list, effect: .attach(Self.issue(2)), message: nil),
            Case(start: at(2), action: .log, selected: 2, mode: .list, effect: .log(Self.issue(2)), message: nil),
            Case(start: at(2), action: .guide, selected: 2, mode: .input(WatchInput(purpose: .guidance, issue: Self.issue(2))), effect: nil, message: nil),
            Case(start: at(2, typing), action: .type("!"), selected: 2,
                 mode: .input(WatchInput(purpose: .guidance, issue: Self.issue(2), text: "use x!")), effect: nil, message: nil),
            Case(start: at(2, typing), action: .erase, selected: 2,
                 mode: .input(WatchInput(purpose: .guidance, issue: Self.issue(2), text: "use ")), effect: nil, message: nil),
            Case(start: at(2, typing), action: .submit, selected: 2, mode: .list, effect: .guide(Self.issue(2), message: "use x"), message: nil),
            Case(start: at(2, typing), action: .cancel, selected: 2, mode: .list, effect: nil, message: "nothing sent"),
            Case(start: at(2), action: .help, selected: 2, mode: .help, effect: nil, message: nil),
            Case(start: at(2, .help), action: .dismiss, selected: 2, mode: .list, effect: nil, message: nil),
            Case(start: at(2, typing), action: .quit, selected: 2, mode: nil, effect: .quit, message: nil),
        ]
        for item in cases {
            var state = item.start
            let effect = state.apply(item.action, rows: rows, page: 10)
            #expect(effect == item.effect, "\(item.action) from \(item.start)")
            #expect(state.selected == item.selected.map(Self.issue), "\(item.action)")
            if let mode = item.mode { #expect(state.mode == mode, "\(item.action)") }
            #expect(state.message == item.message, "\(item.action)")
        }
    }

    @Test func theLogScrollsWithinItsLines() {
        var state = WatchState(selected: Self.issue(1))
        state.mode = .log(WatchLog(issue: Self.issue(1), lines: (1...50).map { "line \($0)" }, top: 40))
        _ = state.apply(.move(5), rows: [], page: 10)
        #expect(state.mode == .log(WatchLog(issue: Self.issue(1), lines: (1...50).map { "line \($0)" }, top: 40)))
        _ = state.apply(.first, rows: [], page: 10)
        _ = state.apply(.page(1), rows: [], page: 10)
        #expect(state.mode == .log(WatchLog(issue: Self.issue(1), lines: (1...50).map { "line \($0)" }, top: 9)))
        _ = state.apply(.dismiss, rows: [], page: 10)
        #expect(state.mode == .list)
    }

    /// Only the lines that changed are written; another height redraws everything.
    @Test func aRedrawRewritesOnlyTheChangedLines() {
        let before = ["header 1", "> #1 a", "  #2 b", "hint"]
        let after = ["header 2", "  #1 a", "> #2 b", "hint"]
        #expect(WatchFrame.updates(from: before, to: before) == "")
        #expect(WatchFrame.updates(from: before, to: after)
                == "\u{1B}[1;1Hheader 2\u{1B}[K\u{1B}[2;1H  #1 a\u{1B}[K\u{1B}[3;1H> #2 b\u{1B}[K")
        #expect(WatchFrame.updates(from: [], to: ["x", "y"]) == "\u{1B}[H\u{1B}[2J\u{1B}[1;1Hx\u{1B}[K\u{1B}[2;1Hy\u{1B}[K")
        #expect(WatchFrame.updates(from: before, to: ["x"]).hasPrefix("\u{1B}[H\u{1B}[2J"))
    }

    @Test func logLinesLoseTheirColoursAndKeepNothingElseUnsafe() {
        #expect(WatchLog.lines(of: "\u{1B}[1;32mok\u{1B}[0m done\n\u{1B}]2;title\u{7}x\r\n") == ["ok done", "\\e]2;title\\u{7}x"])
        #expect(WatchLog.lines(of: "") == ["(the log is empty)"])
    }

    /// 30 sessions on 80×24: 24 lines, none wider than 79 columns, the chosen one in view,
    /// hostile text escaped.
    @Test func theFrameFitsTheTerminalAndScrollsToTheChoice() {
        var rows = (1...30).map { Self.row($0, .working) }
        rows[0].summary = TerminalText.escaped("\u{1B}]0;pwned\u{7}一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十")
        var state = WatchState(selected: Self.issue(30))
        let frame = WatchFrame.render(rows, state: state, header: "ppds watch — now — 30 sessions", width: 80, height: 24)
        #expect(frame.lines.count == 24)
        for line in frame.lines { #expect(WatchFrame.width(of: line) <= 79, "\(line)") }
        #expect(frame.lines.contains { $0.hasPrefix("> #30 ") })
        #expect(frame.lines[0].contains("of 30"))
        #expect(frame.lines.last == WatchFrame.hint)
        #expect(!frame.lines.joined().contains("\u{1B}"))
        state.selected = Self.issue(1)
        state.listTop = frame.listTop
        let top = WatchFrame.render(rows, state: state, header: "h", width: 80, height: 24)
        #expect(top.listTop == 0)
        #expect(top.lines[1].hasPrefix("> #1 ") && top.lines[1].contains("\\e]0;pwned\\u{7}") && top.lines[1].hasSuffix("…"))
        // The editor shows the end of what was typed, escaped.
        state.mode = .input(WatchInput(purpose: .guidance, issue: Self.issue(1), text: "x\u{1B}[2J" + String(repeating: "y", count: 100)))
        let typing = WatchFrame.render(rows, state: state, header: "h", width: 80, height: 24)
        #expect(typing.lines.last!.hasPrefix("guidance for #1") && typing.lines.last!.hasSuffix("y█"))
        #expect(WatchFrame.width(of: typing.lines.last!) <= 79)
        // Tiny terminals still get a frame of their size.
        #expect(WatchFrame.render(rows, state: state, header: "h", width: 20, height: 5).lines.count == 5)
    }
}
