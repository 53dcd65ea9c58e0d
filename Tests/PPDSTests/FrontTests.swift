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
}
