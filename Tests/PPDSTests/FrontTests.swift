import Foundation
import Testing
import TestSupport

/// `ppds` is a front that answers `--version`, `--help` and `hook` itself and runs `ppds-full`
/// (next to it) for everything else: both must say the same, byte for byte, with the same exit.
@Suite struct FrontTests {
    static let full = (TestEnvironment.ppdsBinary as NSString).deletingLastPathComponent + "/ppds-full"

    static func both(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                     in directory: String? = nil) throws -> (front: ProcessResult, full: ProcessResult) {
        (try runProcess(TestEnvironment.ppdsBinary, arguments, in: directory, environment: environment, stdin: stdin),
         try runProcess(full, arguments, in: directory, environment: environment, stdin: stdin))
    }

    /// The two runs are apart in time: a time stamp (an update's `lastUpdate`) may differ by a
    /// second between them, and is not what is compared.
    static func timeless(_ text: String) -> String {
        text.replacing(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/, with: "<time>")
    }

    static func expectSame(_ pair: (front: ProcessResult, full: ProcessResult), _ what: String) {
        #expect(timeless(pair.front.stdout) == timeless(pair.full.stdout), "\(what): stdout differs (regenerate with Sources/PPDSFront/make-root-help.sh?)")
        #expect(timeless(pair.front.stderr) == timeless(pair.full.stderr), "\(what): stderr differs")
        #expect(pair.front.status == pair.full.status, "\(what): exit \(pair.front.status) vs \(pair.full.status)")
    }

    @Test func theFullProgramIsBuiltNextToTheFront() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.full), "\(Self.full)")
    }

    /// The help the front serves is the full program's (RootHelp.swift is generated from it):
    /// at the width it was rendered for, and at any other width (then the full program answers).
    @Test(arguments: [["--help"], ["-h"], ["--version"]])
    func versionAndHelpAreTheFullProgramsOwn(_ arguments: [String]) throws {
        let plain = try Self.both(arguments, environment: ["COLUMNS": "80"])
        #expect(plain.front.status == 0 && !plain.front.stdout.isEmpty)
        Self.expectSame(plain, arguments.joined(separator: " "))
        Self.expectSame(try Self.both(arguments, environment: ["COLUMNS": "132"]), arguments.joined(separator: " ") + " at 132 columns")
        Self.expectSame(try Self.both(arguments, environment: ["COLUMNS": "40"]), arguments.joined(separator: " ") + " at 40 columns")
    }

    /// Lines the front leaves to the full program: the same answer, exit codes included.
    @Test(arguments: [["--version", "--json"], ["nosuch"], ["help"], ["status", "--bogus"], [], ["path", "x"]])
    func otherLinesAreTheFullProgramsAnswer(_ arguments: [String]) throws {
        let folder = TemporaryFolder()
        Self.expectSame(try Self.both(arguments, environment: ["PPDS_HOME": folder.path + "/home"], in: folder.path),
                        arguments.joined(separator: " "))
    }

    /// The hook is the front's own, and says what the full program's says, bad input included.
    @Test(arguments: [["hook"], ["hook", "codex"], ["hook", "claude", "x"], ["hook", "claude", "1"]])
    func theHookSaysWhatTheFullProgramSays(_ arguments: [String]) throws {
        let folder = TemporaryFolder()
        let payload = #"{"session_id":"s","cwd":"\#(folder.path)","hook_event_name":"Stop","stop_hook_active":false}"#
        for stdin in ["", "not json", payload] {
            let pair = try Self.both(arguments, environment: ["PPDS_HOME": folder.path + "/home"], stdin: stdin, in: folder.path)
            #expect(pair.front.status == 0)
            Self.expectSame(pair, arguments.joined(separator: " ") + " with \(stdin)")
        }
    }

    /// `update --status S [<issue>]` and `path [<issue>]` are the front's own: the same output,
    /// message and exit code as the full program's, from the worktree, the repository and
    /// outside any, for a session that exists and one that does not.
    @Test func updateAndPathSayWhatTheFullProgramSays() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(7, title: "Seven")
        let outside = fixture.folder.path
        let lines: [([String], String)] = [
            (["update", "--status", "working"], worktree), (["update", "--status=planning", "7"], fixture.repo),
            (["update", "7", "--status", "working"], outside), (["update", "--status", "working"], fixture.repo),
            (["update", "8", "--status", "working"], worktree), (["update", "--status", "nonsense"], worktree),
            (["update", "--status", "stuck"], worktree), (["update", "--status", "working", "--json"], worktree),
            (["update", "--status", "working", "7", "8"], worktree), (["update"], worktree),
            (["path"], worktree), (["path", "7"], outside), (["path", "#7"], fixture.repo), (["path"], fixture.repo),
            (["path", "9"], worktree), (["path", "seven"], worktree), (["path", "--json"], worktree),
        ]
        for (arguments, folder) in lines {
            let env = ["PPDS_HOME": fixture.home]
            let front = try runProcess(TestEnvironment.ppdsBinary, arguments, in: folder, environment: env)
            let full = try runProcess(Self.full, arguments, in: folder, environment: env)
            Self.expectSame((front, full), arguments.joined(separator: " ") + " in " + folder)
        }
        // A worktree that is gone: the same refusal.
        try FileManager.default.removeItem(atPath: worktree)
        Self.expectSame(try Self.both(["path", "7"], environment: ["PPDS_HOME": fixture.home], in: fixture.repo), "path of a removed worktree")
    }

    /// Guidance waiting for the worker is printed after the update's line and marked read, by
    /// the front as by the full program.
    @Test func updateHandsOverGuidance() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(5, title: "Five")
        for program in [TestEnvironment.ppdsBinary, Self.full] {
            try fixture.ppds(["guide", "5", "use the other API"]).check()
            let first = try runProcess(program, ["update", "--status", "working"], in: worktree, environment: ["PPDS_HOME": fixture.home])
            #expect(first.status == 0, "\(first.stderr)")
            let lines = first.stdout.split(separator: "\n")
            #expect(lines.count == 3 && lines[0] == "#5 is now working" && lines[2].hasSuffix("] use the other API"), "\(program): \(first.stdout)")
            let again = try runProcess(program, ["update", "--status", "working"], in: worktree, environment: ["PPDS_HOME": fixture.home])
            #expect(again.stdout == "#5 is now working\n", "\(program): \(again.stdout)")
        }
    }

    /// A hook whose stdout is closed cannot hand guidance to the agent: it says so, exits 0 (a
    /// hook never blocks the agent) and leaves the guidance unread for the next hook, where the
    /// relay used to trap in `FileHandle.write` (exit 132) on the way through the front too.
    @Test func aHookWithStdoutClosedKeepsTheGuidanceUnread() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(4, title: "Four")
        try fixture.ppds(["guide", "4", "check the tests"]).check()
        let done = #"{"session_id":"s","cwd":"\#(worktree)","hook_event_name":"Stop","stop_hook_active":false}"#
        for program in [TestEnvironment.ppdsBinary, Self.full] {
            let closed = try runProcess("/bin/sh", ["-c", "exec \"$0\" hook claude 4 >&-", program], in: worktree,
                                        environment: ["PPDS_HOME": fixture.home], stdin: done)
            #expect(closed.status == 0 && closed.stderr.contains("it stays unread"), "\(program): \(closed.status) \(closed.stderr)")
        }
        let relayed = try runProcess(TestEnvironment.ppdsBinary, ["hook", "claude", "4"], in: worktree, environment: ["PPDS_HOME": fixture.home], stdin: done)
        #expect(relayed.status == 0 && relayed.stdout.contains("check the tests"), "\(relayed.stdout) \(relayed.stderr)")
    }

    /// With stderr closed a refusal still ends with its exit code, in the front and the full
    /// program alike (the full program's FileHandle.write trapped: exit 132 where the front said 2).
    @Test func aRefusalWithStderrClosedKeepsItsExitCode() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(6, title: "Six")
        for arguments in [["path", "9"], ["update", "9", "--status", "working"], ["path", "6", "--json", "--bogus"]] {
            var statuses: [Int32] = []
            for program in [TestEnvironment.ppdsBinary, Self.full] {
                let closed = try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&-", program] + arguments, in: worktree,
                                            environment: ["PPDS_HOME": fixture.home])
                statuses.append(closed.status)
            }
            let open = try runProcess(Self.full, arguments, in: worktree, environment: ["PPDS_HOME": fixture.home])
            #expect(statuses == [open.status, open.status], "\(arguments): \(statuses), with stderr open \(open.status)")
        }
    }

    /// In a folder whose path is not UTF-8, next to a lookalike (U+FFFD for the bad byte) that is
    /// another repository, neither program acts on the lookalike's sessions: they refuse to infer
    /// from the current folder (git says the folder is in the first repository).
    @Test func aCurrentFolderThatIsNotUTF8IsRefused() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(8, title: "Eight")
        let parent = worktree + "/p"
        try runProcess("/bin/sh", ["-c", "mkdir -p \"$0/$(printf 'd\\377')\" \"$0/$(printf 'd\\357\\277\\275')\"", parent]).check()
        let before = try String(contentsOfFile: fixture.home + "/sessions/work-8.json", encoding: .utf8)
        for program in [TestEnvironment.ppdsBinary, Self.full] {
            for arguments in [["update", "--status", "working"], ["path"]] {
                let result = try runProcess("/bin/sh", ["-c", "cd \"$0/$(printf 'd\\377')\" && p=\"$1\" && shift && exec \"$p\" \"$@\"", parent, program] + arguments,
                                            environment: ["PPDS_HOME": fixture.home])
                #expect(result.status != 0 && result.stderr.contains("not UTF-8"), "\(program) \(arguments): \(result.status) \(result.stdout) \(result.stderr)")
            }
        }
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-8.json", encoding: .utf8) == before)
    }

    /// The front answers the everyday layouts itself: a copy of it with no `ppds-full` beside it
    /// updates, prints the path and runs the hook from a main and a linked worktree. What it
    /// leaves to the full program (a variable that steers git, guidance to relay) it hands over
    /// before changing anything: the lone copy then cannot, and the session is unchanged.
    @Test func theFrontAnswersEverydayLayoutsWithoutTheFullProgram() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(3, title: "Three")
        let alone = TemporaryFolder("ppds-front-alone")
        let front = alone.path + "/ppds"
        try FileManager.default.copyItem(atPath: TestEnvironment.ppdsBinary, toPath: front)
        let env = ["PPDS_HOME": fixture.home, "HOME": alone.path]
        for folder in [worktree, worktree + "/src", fixture.repo] {
            let update = try runProcess(front, ["update", "--status", "working", "3"], in: folder, environment: env)
            #expect(update.status == 0 && update.stdout == "#3 is now working\n", "\(folder): \(update.stderr)")
            let path = try runProcess(front, ["path", "3"], in: folder, environment: env)
            #expect(path.status == 0 && path.stdout == worktree + "\n", "\(folder): \(path.stderr)")
        }
        let waiting = #"{"session_id":"s","cwd":"\#(worktree)","hook_event_name":"Notification","message":"May I?","notification_type":"permission_prompt"}"#
        let hook = try runProcess(front, ["hook", "claude", "3"], in: worktree, environment: env, stdin: waiting)
        #expect(hook.status == 0 && hook.stderr.contains("#3 is now stuck"), "\(hook.stderr)")
        let before = try String(contentsOfFile: fixture.home + "/sessions/work-3.json", encoding: .utf8)
        // Handed over: GIT_DIR set, and guidance waiting for the hook to relay.
        let steered = try runProcess(front, ["update", "--status", "working"], in: worktree, environment: env.merging(["GIT_DIR": fixture.repo + "/.git"]) { _, new in new })
        #expect(steered.status != 0 && steered.stderr.contains("cannot run the full program"), "\(steered.stderr)")
        try fixture.ppds(["guide", "3", "stop and rebase"]).check()
        let guided = try String(contentsOfFile: fixture.home + "/sessions/work-3.json", encoding: .utf8)
        #expect(guided != before)
        let done = #"{"session_id":"s","cwd":"\#(worktree)","hook_event_name":"Stop","stop_hook_active":false}"#
        let relay = try runProcess(front, ["hook", "claude", "3"], in: worktree, environment: env, stdin: done)
        #expect(relay.status == 0 && relay.stderr.contains("cannot run the full program"), "\(relay.status) \(relay.stderr)")
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-3.json", encoding: .utf8) == guided, "the front changed the session before handing over")
        // With the full program beside it, the same hook relays the guidance (the payload read again).
        let relayed = try runProcess(TestEnvironment.ppdsBinary, ["hook", "claude", "3"], in: worktree, environment: env, stdin: done)
        #expect(relayed.stdout.contains("stop and rebase") && relayed.stderr.contains("#3 is now working"), "\(relayed.stdout) \(relayed.stderr)")
    }
}
