import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// Untrusted text (issue titles, stuck reasons, guidance, paths) must not reach a terminal as
/// control sequences: human output shows it escaped, JSON keeps it exact.
@Suite struct TerminalEscapeTests {
    // MARK: The function

    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(TerminalText.escaped("a\u{1B}b") == "a\\eb")
        #expect(TerminalText.escaped("\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}") == "\\e]52;c;ZWNobyBwd25lZA==\\u{7}")  // OSC 52 clipboard
        #expect(TerminalText.escaped("\u{1B}]0;pwned\u{07}") == "\\e]0;pwned\\u{7}")  // window title
        #expect(TerminalText.escaped("x\u{1B}[2J\u{1B}[H") == "x\\e[2J\\e[H")  // clear screen, cursor home
        #expect(TerminalText.escaped("ok\rFAKE") == "ok\\rFAKE")  // carriage return overwrites the line
        #expect(TerminalText.escaped("ok\n   - #9 forged") == "ok\\n   - #9 forged")  // newline forges a line
        #expect(TerminalText.escaped("a\r\nb") == "a\\r\\nb")  // CR LF is one Character, still two escapes
        #expect(TerminalText.escaped("tab\there") == "tab\\there")
        #expect(TerminalText.escaped("\u{9B}2J") == "\\u{9b}2J")  // C1 CSI
        #expect(TerminalText.escaped("\u{80}\u{9F}\u{7F}\u{0}") == "\\u{80}\\u{9f}\\u{7f}\\u{0}")
        #expect(TerminalText.escaped("abc\u{202E}fed") == "abc\\u{202e}fed")  // right-to-left override
        #expect(TerminalText.escaped("a\u{200F}b\u{200E}c\u{061C}") == "a\\u{200f}b\\u{200e}c\\u{61c}")  // implicit direction marks
        #expect(TerminalText.escaped("\u{2066}x\u{2069}\u{202A}") == "\\u{2066}x\\u{2069}\\u{202a}")
        #expect(TerminalText.escaped("line\u{2028}sep") == "line\\u{2028}sep")
    }

    @Test func ordinaryTextIsUntouched() {
        for text in ["", "Fix the login bug", "Café crème, naïve façade", "🚀 ship it 👩‍💻 🇫🇷", "日本語のタイトル", "עברית ومرحبا",
                     "path\\with\\backslashes", "https://github.com/o/r/pull/42", "e\u{301}"] {
            #expect(TerminalText.escaped(text) == text, "\(text)")
        }
    }

    @Test func aBlockKeepsItsLineBreaksButNothingElse() {
        #expect(TerminalText.escaped("a\nb\rc", keepingNewlines: true) == "a\nb\\rc")
        #expect(TerminalText.block("one line", prefix: "ppds: ") == "ppds: one line")
        // Later lines are indented under the prefix, so they cannot pass for output of their own.
        #expect(TerminalText.block("first\nppds: forged\u{1B}[2J\n", prefix: "ppds: ") == "ppds: first\n      ppds: forged\\e[2J")
        #expect(TerminalText.block("a\n\nb\n\n", prefix: "> ") == "> a\n  \n  b")
    }

    // MARK: Through the binary

    static let title = "Fix \u{1B}]0;pwned\u{07}login\u{1B}[2J\r#9 forged title\nppds: fake error \u{9B}31m \u{202E}txt.exe"
    static let reason = "need \u{1B}]52;c;ZWNobyBwd25lZA==\u{07}input\r\n   - #99 forged: \"stuck\""
    static let context = "context \u{1B}[2J\u{1B}[H cleared"
    static let options = ["a\nb", "\u{202E}c", "\u{1B}[31mred\u{1B}[0m"]
    static let guidance = "do \u{1B}[31mthis\u{1B}[0m\nnow\r  [2099-01-01T00:00:00Z] forged guidance"

    /// Raw control, C1 and bidi characters in `text` (line feeds are allowed: they separate lines).
    static func unsafe(_ text: String) -> [String] {
        text.unicodeScalars.filter { $0 != "\n" && TerminalText.isUnsafe($0) }.map { String($0.value, radix: 16) }
    }

    @Test func statusShowAndWatchShowHostileTextEscapedAndJSONKeepsIt() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: Self.title)
        try fixture.started(2, title: "Plain")
        let guided = try fixture.ppds(["guide", "1", Self.guidance]).check()
        #expect(Self.unsafe(guided.stdout).isEmpty)
        let updated = try fixture.ppds(["update", "1", "--status", "stuck", "--reason", Self.reason, "--context", Self.context]
            + Self.options.flatMap { ["--option", $0] }).check()
        // The worker's update also shows it the unread guidance: escaped, one line per message.
        #expect(Self.unsafe(updated.stdout).isEmpty, "\(updated.stdout.debugDescription)")
        #expect(updated.stdout.hasPrefix("#1 is now stuck\n#1: guidance from the orchestrator (1 message):\n"))
        #expect(updated.stdout.hasSuffix(#"] do \e[31mthis\e[0m\nnow\r  [2099-01-01T00:00:00Z] forged guidance"# + "\n"))

        let status = try fixture.ppds(["status"]).check().stdout
        #expect(Self.unsafe(status).isEmpty, "\(status.debugDescription)")
        #expect(status.contains(#"need \e]52;c;ZWNobyBwd25lZA==\u{7}input\r\n   - #99 forged: "stuck""#), "\(status)")
        #expect(status.contains(#"     Context: context \e[2J\e[H cleared"#))
        #expect(status.contains(#"     Options: a\nb, \u{202e}c, \e[31mred\e[0m"#))
        // No forged lines: every session line is one of the two real ones.
        let sessionLines = status.split(separator: "\n").filter { $0.hasPrefix("   - ") }
        #expect(sessionLines.count == 2, "\(status)")
        #expect(!status.split(separator: "\n").contains { $0.hasPrefix("   - #99") })

        let show = try fixture.ppds(["show", "1"]).check().stdout
        #expect(Self.unsafe(show).isEmpty, "\(show.debugDescription)")
        let lines = show.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == #"#1 Fix \e]0;pwned\u{7}login\e[2J\r#9 forged title\nppds: fake error \u{9b}31m \u{202e}txt.exe"#)
        #expect(lines.contains { $0.hasPrefix(#"  stuck:     "need \e]52;c;"#) })
        // (read by the worker's update above)
        #expect(lines.contains { $0.contains(#"] do \e[31mthis\e[0m\nnow\r  [2099-01-01T00:00:00Z] forged guidance (read "#) })
        // Every line is one of show's own: the heading, then indented labels.
        for line in lines.dropFirst() where !line.isEmpty {
            #expect(line.hasPrefix("  ") && !line.hasPrefix("  [2099"), "\(line)")
        }
        #expect(!lines.contains { $0.hasPrefix("#9") || $0.hasPrefix("ppds: fake") })

        // JSON keeps every string exactly.
        let sessions = try #require(try fixture.ppds(["status", "--json"]).check().json()["sessions"] as? [[String: Any]])
        let first = try #require(sessions.first { $0["issue"] as? String == "#1" })
        #expect(first["title"] as? String == Self.title)
        let stuck = try #require(first["stuck"] as? [String: Any])
        #expect(stuck["reason"] as? String == Self.reason)
        #expect(stuck["context"] as? String == Self.context)
        #expect(stuck["options"] as? [String] == Self.options)
        let shown = try #require(try fixture.ppds(["show", "1", "--json"]).check().json()["session"] as? [String: Any])
        #expect(shown["title"] as? String == Self.title)
        #expect((shown["guidance"] as? [[String: Any]])?.first?["message"] as? String == Self.guidance)
        #expect((shown["stuck"] as? [String: Any])?["reason"] as? String == Self.reason)
    }

    @Test func watchAndItsNotificationShowTheReasonEscaped() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: Self.title)
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let log = fixture.folder.file("notify.txt")
        try "#!/bin/sh\nprintf '%s|' \"$@\" >> \(log)\necho >> \(log)\n".write(toFile: bin + "/notify-send", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/notify-send")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["watch", "--notify", "--interval", "60", "--count", "2"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        var env = ProcessInfo.processInfo.environment
        env["PPDS_HOME"] = fixture.home
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var collected = Data()
        let fd = out.fileHandleForReading.fileDescriptor
        while !String(decoding: collected, as: UTF8.self).contains("   - #1 ") {
            guard let chunk = readChunk(fd) else { break }
            collected += chunk
        }
        try fixture.ppds(["update", "1", "--status", "stuck", "--reason", Self.reason]).check()
        collected += readToEnd(fd)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let text = String(decoding: collected, as: UTF8.self)
        #expect(Self.unsafe(text).isEmpty, "\(text.debugDescription)")
        #expect(text.contains(#"need \e]52;c;ZWNobyBwd25lZA==\u{7}input\r\n   - #99 forged"#), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("   - #99") })

        let notes = try String(contentsOfFile: log, encoding: .utf8)
        #expect(notes == #"--app-name=ppds|--|ppds: #1 is stuck|need \e]52;c;ZWNobyBwd25lZA==\u{7}input\r\n   - #99 forged: "stuck"|"# + "\n")
    }

    @Test func pruneDoctorAndErrorsEscapePathsAndMessages() throws {
        let fixture = try GitFixture()
        // A linked worktree no session owns, at a path with escapes in its name.
        let hostile = fixture.folder.file("wt-\u{1B}]0;pwned\u{07}-\u{9B}2J")
        try fixture.git("worktree", "add", "-q", "-b", "stray", hostile)
        let prune = try fixture.ppds(["prune", "--all", "--dry-run"])
        #expect(Self.unsafe(prune.stdout + prune.stderr).isEmpty, "\((prune.stdout + prune.stderr).debugDescription)")
        #expect(prune.stdout.contains(#"wt-\e]0;pwned\u{7}-\u{9b}2J"#), "\(prune.stdout)")
        let pruneJSON = try fixture.ppds(["prune", "--all", "--dry-run", "--json"]).json()
        #expect((pruneJSON["results"] as? [[String: Any]])?.contains { $0["worktree"] as? String == hostile } == true)

        // A session file another tool wrote: its worktree (missing) has C1 and bidi characters
        // (the loader refuses C0 and DEL there), its status value a forged line.
        try fixture.started(3, title: "Moved")
        let file = fixture.home + "/sessions/work-3.json"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        let missing = fixture.folder.file("gone-\u{9B}2J-\u{202E}-")
        let status = "review\u{1B}[2J\r\n   - #4 forged"
        object["worktree"] = missing
        object["status"] = status
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
        let doctor = try fixture.ppds(["doctor"])
        #expect(doctor.status == 1)
        #expect(Self.unsafe(doctor.stdout + doctor.stderr).isEmpty, "\(doctor.stdout.debugDescription)")
        #expect(doctor.stdout.contains(#"gone-\u{9b}2J-\u{202e}-"#), "\(doctor.stdout)")
        let text = try fixture.ppds(["status"]).check().stdout
        #expect(Self.unsafe(text).isEmpty, "\(text.debugDescription)")
        #expect(text.contains(#"[review\e[2J\r\n   - #4 forged]"#), "\(text)")
        #expect(text.contains(#"gone-\u{9b}2J-\u{202e}-"#), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("   - #4") })
        let show = try fixture.ppds(["show", "3"]).check().stdout
        #expect(Self.unsafe(show).isEmpty, "\(show.debugDescription)")
        #expect(show.contains(#"  status:    review\e[2J\r\n   - #4 forged"#), "\(show)")
        let json = try fixture.ppds(["status", "--json"]).check().json()
        let session = (json["sessions"] as? [[String: Any]] ?? []).first { $0["issue"] as? String == "#3" }
        #expect(session?["status"] as? String == status)
        #expect(session?["worktree"] as? String == missing)

        // An error naming a hostile path: escaped, and a line break in it only continues the
        // message, indented under "ppds: ", so it cannot pass for a line of its own.
        let error = try fixture.ppds(["status", "--repo", "/nonexistent/\u{1B}[2J\rppds: forged\nppds: forged too"])
        #expect(error.status == 2)
        #expect(Self.unsafe(error.stderr).isEmpty, "\(error.stderr.debugDescription)")
        #expect(error.stderr.contains(#"/nonexistent/\e[2J\rppds: forged"#), "\(error.stderr)")
        let errorLines = error.stderr.split(separator: "\n")
        #expect(errorLines.first?.hasPrefix("ppds: ") == true)
        #expect(errorLines.dropFirst().allSatisfy { $0.hasPrefix("      ") }, "\(error.stderr)")
        #expect(errorLines.contains { $0.hasPrefix("      ppds: forged too") }, "\(error.stderr)")
    }
}
