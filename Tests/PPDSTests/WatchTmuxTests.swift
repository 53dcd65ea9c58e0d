import Foundation
import Testing
import TestSupport

/// A shell in a real tmux server of its own (a unique `-L` socket), 80×24, where a test types
/// `ppds watch` and keys, and reads the screen with `capture-pane`. The server is killed when
/// the test ends.
final class TmuxScreen {
    let socket = "ppds-watch-test-\(UUID().uuidString.prefix(12))"
    let fixture: GitFixture

    init(_ fixture: GitFixture, width: Int = 80, height: Int = 24) throws {
        self.fixture = fixture
        try tmux(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-c", fixture.repo,
                  "-e", "PPDS_HOME=" + fixture.home, "-e", "PS1=$ ", "-e", "NO_COLOR=", "exec /bin/sh"])
        try waitFor("the shell's prompt") { TmuxScreen.atPrompt($0) }
    }

    /// The shell waits at its prompt ("$ ", or "# " for root): its last line.
    static func atPrompt(_ screen: String) -> Bool {
        ["$", "#"].contains(screen.split(separator: "\n").last.map(String.init) ?? "")
    }

    deinit { _ = try? runProcess("/usr/bin/tmux", ["-L", socket, "kill-server"]) }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        // Not the test's own tmux, if it runs in one.
        try runProcess("/usr/bin/tmux", ["-L", socket] + arguments, environment: ["TMUX": ""]).check().stdout
    }

    /// Types a command line and Enter.
    func type(_ line: String) throws {
        try tmux(["send-keys", "-l", line])
        try tmux(["send-keys", "Enter"])
    }

    /// Presses keys by tmux's names (Up, Down, Enter, C-c, Escape) or as literal text.
    func press(_ keys: String...) throws { try tmux(["send-keys"] + keys) }
    func literal(_ text: String) throws { try tmux(["send-keys", "-l", text]) }

    func screen() throws -> String { try tmux(["capture-pane", "-p"]) }
    /// The screen's rows (capture-pane ends each with a line feed).
    func lines() throws -> [String] {
        var rows = try screen().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if rows.last == "" { rows.removeLast() }
        return rows
    }
    func format(_ name: String) throws -> String { try tmux(["display", "-p", name]).trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Polls the screen until `check` holds (20 s at most); fails with the last screen.
    @discardableResult
    func waitFor(_ what: String, _ check: (String) throws -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(20)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if try check(last) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("timed out waiting for \(what); the screen:\n\(last)")
        throw TimeoutError()
    }

    struct TimeoutError: Error {}

    /// Starts the interactive watch (a long interval: redraws come from changes and keys).
    func startWatch() throws {
        try type("\(TestEnvironment.ppdsBinary) watch --interval 60")
        try waitFor("the watch") { try format("#{alternate_on}") == "1" && $0.contains("ppds watch —") }
    }
}

@Suite(.serialized) struct WatchTmuxTests {
    let fixture: GitFixture

    init() throws {
        fixture = try GitFixture()
    }

    func session(_ issue: Int) throws -> [String: Any] {
        try #require(try fixture.ppds(["show", "\(issue)", "--json"]).check().json()["session"] as? [String: Any])
    }

    /// Choose with the arrows and j/k, answer a stuck session with a digit, type guidance,
    /// pause and resume, approve a plan; each lands in the session file. q restores the shell's screen.
    @Test func keysActOnTheChosenSession() throws {
        try fixture.started(1, title: "Stuck one")
        try fixture.started(2, title: "Working two")
        try fixture.started(3, title: "Plan three")
        try fixture.ppds(["update", "1", "--status", "stuck", "--reason", "Which window?", "--option", "sliding", "--option", "fixed"]).check()
        try fixture.ppds(["update", "2", "--status", "working"]).check()
        try fixture.ppds(["update", "3", "--status", "planning"]).check()
        try fixture.ppds(["update", "3", "--status", "planning_complete", "--plan", "-"], stdin: "Split the parser\n").check()
        let tmux = try TmuxScreen(fixture)
        try tmux.startWatch()
        // Stuck first, then the plan, then working.
        try tmux.waitFor("#1 chosen") { $0.contains("> #1 ") && $0.contains("1) sliding") }
        try tmux.press("Down")
        try tmux.waitFor("#3 chosen") { $0.contains("> #3 ") && !$0.contains("> #1 ") }
        try tmux.press("j")
        try tmux.waitFor("#2 chosen") { $0.contains("> #2 ") }
        try tmux.press("k", "Up")
        try tmux.waitFor("#1 chosen again") { $0.contains("> #1 ") }

        // A digit answers with that option.
        try tmux.press("2")
        try tmux.waitFor("the answer's line") { $0.contains("#1 answered: fixed") }
        let guidance = try #require(try session(1)["guidance"] as? [[String: Any]])
        #expect(guidance.map { $0["message"] as? String } == ["fixed"])

        // g opens the editor in the status line; Enter sends.
        try tmux.press("j", "j")
        try tmux.waitFor("#2 chosen") { $0.contains("> #2 ") }
        try tmux.press("g")
        try tmux.waitFor("the editor") { $0.contains("guidance for #2") }
        try tmux.literal("use the cache")
        try tmux.press("Enter")
        try tmux.waitFor("guidance sent") { $0.contains("#2 guided") }
        #expect((try session(2)["guidance"] as? [[String: Any]])?.map { $0["message"] as? String } == ["use the cache"])
        // Esc cancels: nothing more is sent.
        try tmux.press("g")
        try tmux.waitFor("the editor") { $0.contains("guidance for #2") }
        try tmux.literal("never mind")
        try tmux.press("Escape")
        try tmux.waitFor("cancelled") { $0.contains("nothing sent") }
        #expect((try session(2)["guidance"] as? [[String: Any]])?.count == 1)

        // p pauses, p again resumes.
        try tmux.press("p")
        try tmux.waitFor("paused") { $0.contains("#2 paused") }
        #expect(try session(2)["status"] as? String == "paused")
        try tmux.press("p")
        try tmux.waitFor("resumed") { $0.contains("#2 resumed: working") }
        #expect(try session(2)["status"] as? String == "working")

        // a approves the plan of #3.
        try tmux.press("k")
        try tmux.waitFor("#3 chosen") { $0.contains("> #3 ") }
        try tmux.press("a")
        try tmux.waitFor("approved") { $0.contains("#3 plan v1 approved") }
        #expect(try session(3)["status"] as? String == "working")

        // ? shows the keys; any key goes back.
        try tmux.press("?")
        try tmux.waitFor("the keys") { $0.contains("Keys:") && $0.contains("approve its plan") }
        try tmux.press("x")
        try tmux.waitFor("the list again") { !$0.contains("Keys:") && $0.contains("> #") }

        // A change made elsewhere shows up (only the changed lines are redrawn).
        try fixture.ppds(["update", "2", "--status", "stuck", "--reason", "Need a token"]).check()
        try tmux.waitFor("#2 stuck") { $0.contains("Need a token") }

        // Enter runs `ppds attach`; when it fails, its message is in the status line.
        try tmux.press("Enter")
        try tmux.waitFor("the attach failure") { $0.contains("attach #") && $0.contains("failed") }

        // l shows the worker's log (ppds logs), or why it cannot; q goes back to the list.
        try tmux.press("l")
        let log = try tmux.waitFor("the log or its failure") { $0.contains("── log of #") || $0.contains("logs #") }
        if log.contains("── log of #") {
            try tmux.press("q")
            try tmux.waitFor("the list again") { !$0.contains("── log of #") && $0.contains("> #") }
        }

        try tmux.press("q")
        let screen = try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
        #expect(try tmux.format("#{alternate_on}") == "0")
        #expect(try tmux.format("#{cursor_flag}") == "1")
        #expect(!screen.contains("> #"), "\(screen)")
    }

    /// Ctrl-C leaves the alternate screen and gives the terminal back as it was: echo and line editing on.
    @Test func ctrlCRestoresTheTerminal() throws {
        try fixture.started(1, title: "One")
        let tmux = try TmuxScreen(fixture)
        try tmux.startWatch()
        try tmux.press("C-c")
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
        #expect(try tmux.format("#{alternate_on}") == "0")
        #expect(try tmux.format("#{cursor_flag}") == "1")
        try tmux.type("echo typed-$((40+2))")
        try tmux.waitFor("echo and line editing") { $0.contains(" echo typed-$((40+2))") && $0.contains("\ntyped-42") }
    }

    /// SIGTERM from elsewhere restores it too.
    @Test func sigtermRestoresTheTerminal() throws {
        try fixture.started(1, title: "One")
        let tmux = try TmuxScreen(fixture)
        try tmux.startWatch()
        // The watch is the shell's child in the pane.
        let shell = try tmux.format("#{pane_pid}")
        let child = try runProcess("/usr/bin/pgrep", ["-P", shell]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(child))
        #expect(kill(pid, SIGTERM) == 0)
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
        #expect(try tmux.format("#{alternate_on}") == "0")
    }

    /// A crash (SIGSEGV) gives the terminal back before the process dies of it.
    @Test func aCrashRestoresTheTerminal() throws {
        try fixture.started(1, title: "One")
        let tmux = try TmuxScreen(fixture)
        // Without the Swift runtime's backtracer, which would wait for a key on a terminal.
        try tmux.type("SWIFT_BACKTRACE=enable=no \(TestEnvironment.ppdsBinary) watch --interval 60")
        try tmux.waitFor("the watch") { try tmux.format("#{alternate_on}") == "1" && $0.contains("ppds watch —") }
        let child = try runProcess("/usr/bin/pgrep", ["-P", try tmux.format("#{pane_pid}")]).check().stdout
        #expect(kill(try #require(Int32(child.trimmingCharacters(in: .whitespacesAndNewlines))), SIGSEGV) == 0)
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
        #expect(try tmux.format("#{alternate_on}") == "0")
        #expect(try tmux.format("#{cursor_flag}") == "1")
    }

    /// r sends a plan back with what to change; the worker's next version is approved with a.
    @Test func aPlanIsSentBackThenApproved() throws {
        try fixture.started(4, title: "Plan four")
        try fixture.ppds(["update", "4", "--status", "planning"]).check()
        try fixture.ppds(["update", "4", "--status", "planning_complete", "--plan", "-"], stdin: "One big step\n").check()
        let tmux = try TmuxScreen(fixture)
        try tmux.startWatch()
        try tmux.waitFor("#4's plan") { $0.contains("> #4 ") && $0.contains("plan v1 waiting") }
        try tmux.press("r")
        try tmux.waitFor("the editor") { $0.contains("what to change in #4's plan") }
        try tmux.literal("smaller steps")
        try tmux.press("Enter")
        try tmux.waitFor("sent back") { $0.contains("#4 plan v1 sent back") }
        #expect(try session(4)["status"] as? String == "planning")
        // Nothing waits now: a and r say so.
        try tmux.press("a")
        try tmux.waitFor("no plan") { $0.contains("#4 has no plan waiting for review") }
        try fixture.ppds(["update", "4", "--status", "planning_complete", "--plan", "-"], stdin: "Three small steps\n").check()
        try tmux.waitFor("v2") { $0.contains("plan v2 waiting") }
        try tmux.press("a")
        try tmux.waitFor("approved") { $0.contains("#4 plan v2 approved") }
        #expect(try session(4)["status"] as? String == "working")
        try tmux.press("q")
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
    }

    /// With stdin not a terminal there are no keys: the plain picture, redrawn, on the normal screen.
    @Test func withoutATerminalOnStdinItIsThePicture() throws {
        try fixture.started(1, title: "One")
        let tmux = try TmuxScreen(fixture)
        try tmux.type("\(TestEnvironment.ppdsBinary) watch --interval 60 < /dev/null")
        try tmux.waitFor("the plain view") { $0.contains("Ctrl-C to leave") && $0.contains("#1 \"One\"") }
        #expect(try tmux.format("#{alternate_on}") == "0")
        try tmux.press("C-c")
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
    }

    /// 30 sessions on 80×24: the list scrolls to the choice, nothing wraps; hostile titles and
    /// stuck reasons are shown escaped, and never set the window's title.
    @Test func thirtySessionsFitAndHostileTextIsEscaped() throws {
        try fixture.startWork((1...29).map(String.init)).0.check()
        try fixture.started(30, title: "\u{1B}]2;owned\u{7}T\u{1B}[1;1Hitle")
        try fixture.ppds(["update", "7", "--status", "stuck", "--reason", "\u{1B}]2;pwned\u{7}\u{1B}[2Jcleared", "--option", "\u{1B}[31mred"]).check()
        let tmux = try TmuxScreen(fixture)
        try tmux.startWatch()
        var screen = try tmux.waitFor("the list") { $0.contains("> #7 ") && $0.contains("of 30") }
        #expect(screen.contains("\\e]2;pwned\\u{7}\\e[2Jcleared"), "\(screen)")
        #expect(screen.contains("1) \\e[31mred"), "\(screen)")
        try tmux.press("End")
        screen = try tmux.waitFor("#30 chosen") { $0.contains("> #30 ") }
        #expect(screen.contains("\\e]2;owned\\u{7}T\\e[1;1Hitle"), "\(screen)")
        let lines = try tmux.lines()
        #expect(lines.count <= 24)
        #expect(lines.first?.hasPrefix("ppds watch —") == true && lines.first?.contains("of 30") == true, "\(screen)")
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(try tmux.format("#{pane_title}") != "pwned" && tmux.format("#{pane_title}") != "owned")
        try tmux.press("Home")
        try tmux.waitFor("#7 chosen again (stuck first)") { $0.contains("> #7 ") }
        // A smaller window: SIGWINCH, and the frame fits again.
        try tmux.tmux(["resize-window", "-x", "60", "-y", "12"])
        try tmux.waitFor("the smaller frame") { screen in
            let lines = try tmux.lines()
            return lines.count <= 12 && lines.allSatisfy { $0.count <= 60 } && screen.contains("> #7 ") && screen.contains("of 30")
        }
        try tmux.press("q")
        try tmux.waitFor("the shell again") { TmuxScreen.atPrompt($0) }
    }
}
