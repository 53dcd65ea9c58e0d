import Foundation
import Testing
import TestSupport
import SessionKit
import Support
import View

/// Attacks on the worker loop (issue #13) that found real problems, each kept as a test.
@Suite struct WorkerLoopAttackTests {
    let loop = WorkerLoopTests()

    /// Runs `ppds <arguments>` with stdout sent where `redirect` says (a shell redirection such
    /// as `>/dev/full` or `>&-`); the arguments go by argv, never pasted into the line.
    func ppds(_ fixture: GitFixture, _ arguments: [String], stdout redirect: String, in directory: String? = nil) throws -> ProcessResult {
        try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" " + redirect, TestEnvironment.ppdsBinary] + arguments,
                       in: directory ?? fixture.repo, environment: ["PPDS_HOME": fixture.home])
    }

    /// A worker whose stdout cannot be written (a full disk, a closed descriptor) never saw the
    /// guidance: it must stay unread, and the command must not claim success.
    @Test func guidanceThatCouldNotBePrintedStaysUnread() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(31)
        for redirect in [">/dev/full", ">&-"] {
            try loop.stuck(fixture, 31)  // (an update: it reads, and marks, all that came before)
            try fixture.ppds(["guide", "31", "use sliding"]).check()
            let waited = try ppds(fixture, ["wait", "31", "--timeout", "5s"], stdout: redirect)
            #expect(waited.status != 0, "wait \(redirect) claimed success: \(waited)")
            #expect(try loop.guidance(fixture, 31).last?["delivered"] == nil, "wait \(redirect) marked unprinted guidance read")
            let updated = try ppds(fixture, ["update", "31", "--status", "working"], stdout: redirect)
            #expect(updated.status != 0, "update \(redirect) claimed success")
            #expect(try loop.guidance(fixture, 31).last?["delivered"] == nil, "update \(redirect) marked unprinted guidance read")
            _ = try ppds(fixture, ["show"], stdout: redirect, in: worktree)
            #expect(try loop.guidance(fixture, 31).last?["delivered"] == nil, "show \(redirect) marked unprinted guidance read")
            // Printed for real, it is marked.
            #expect(try fixture.ppds(["wait", "31", "--timeout", "5s"]).check().stdout.contains("] use sliding"))
            #expect(try loop.guidance(fixture, 31).last?["delivered"] as? String != nil)
        }
    }
}

extension WorkerLoopAttackTests {
    /// The desktop notification puts the options on a line of their own; the escaping for the
    /// notification must not turn that line break into a literal "\n".
    @Test func theStuckNotificationKeepsItsLineBreakAndEscapesTheFields() {
        let body = Notifier.stuckBody(StuckContext(reason: "which?\n\u{1B}]0;x\u{07}", options: ["sliding\u{202E}", "fixed"], since: Date()))
        let arguments = Notifier.desktopArguments(title: "ppds: #5 is stuck", body: body)
        #expect(arguments.last == "which?\\n\\e]0;x\\u{7}\nOptions: 1) sliding\\u{202e}  2) fixed")
        #expect(arguments.last?.contains("\\nOptions") == false)
    }
}

extension WorkerLoopAttackTests {
    /// A number that names no option (0, -1, one past the last) is a slip, not guidance: it is
    /// asked again instead of being relayed to the worker as the words "3".
    @Test func aNumberThatNamesNoOptionIsAskedAgainNotSent() throws {
        let fixture = try GitFixture()
        try fixture.started(32)
        try loop.stuck(fixture, 32)  // options: 1) sliding 2) fixed bucket
        let asked = try fixture.ppds(["guide", "32"], stdin: "3\n0\n-1\n 2 \n").check()
        #expect(asked.stderr.contains("there is no option 3"), "\(asked.stderr)")
        #expect(try loop.guidance(fixture, 32).map { $0["message"] as? String } == ["fixed bucket"])
        // Only a wrong number, then the end of input: nothing is sent.
        #expect(try fixture.ppds(["guide", "32"], stdin: "7\n").status == 64)
        #expect(try loop.guidance(fixture, 32).count == 1)
        // Without options a number is just words.
        try fixture.ppds(["update", "32", "--status", "stuck", "--reason", "how many retries?"]).check()
        try fixture.ppds(["guide", "32"], stdin: "3\n").check()
        #expect(try loop.guidance(fixture, 32).last?["message"] as? String == "3")
        // Options that are numbers themselves are still picked by position.
        try loop.stuck(fixture, 32, options: ["10", "20"])
        try fixture.ppds(["guide", "32"], stdin: "2\n").check()
        #expect(try loop.guidance(fixture, 32).last?["message"] as? String == "20")
    }
}

extension WorkerLoopAttackTests {
    @Test func anOptionThatIsANumberCanBeTypedAsItsText() throws {
        let fixture = try GitFixture()
        try fixture.started(33)
        try loop.stuck(fixture, 33, options: ["10", "20"])
        try fixture.ppds(["guide", "33"], stdin: "10\n").check()
        #expect(try loop.guidance(fixture, 33).last?["message"] as? String == "10")
    }
}

extension WorkerLoopAttackTests {
    /// A blank option could be offered and picked by its number, and only then failed (the
    /// guidance would be empty): it is refused where it is given.
    @Test func aBlankOptionIsRefusedWhenTheWorkerGivesIt() throws {
        let fixture = try GitFixture()
        try fixture.started(34)
        for blank in ["", "   ", "\n"] {
            let result = try fixture.ppds(["update", "34", "--status", "stuck", "--reason", "which?", "--option", "a", "--option", blank])
            #expect(result.status == 64, "option \(blank.debugDescription) was accepted")
        }
        #expect(try loop.sessionJSON(fixture, 34)["status"] as? String != "stuck")
    }
}

extension WorkerLoopAttackTests {
    /// While the human answers the first session, another orchestrator (the dashboard, a
    /// `guide`) answers the second: `next` must not ask for it again and relay a second answer.
    @Test func nextSkipsASessionAnsweredElsewhereWhileItWalks() throws {
        let fixture = try GitFixture()
        try fixture.started(35)
        try fixture.started(36)
        try loop.stuck(fixture, 35)
        Thread.sleep(forTimeInterval: 1.1)  // the files keep whole seconds: 35 is asked first
        try loop.stuck(fixture, 36)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["next"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": fixture.home, "NO_COLOR": "1"]) { $1 }
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // Wait for the first question, so the queue is made before the other answer comes.
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while !String(decoding: seen, as: UTF8.self).contains("Your guidance") && Date() < deadline {
            seen += errors.fileHandleForReading.availableData
        }
        try fixture.ppds(["guide", "36", "answered from the dashboard"]).check()
        input.fileHandleForWriting.write(Data("1\n2\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(try loop.guidance(fixture, 35).map { $0["message"] as? String } == ["sliding"])
        #expect(try loop.guidance(fixture, 36).map { $0["message"] as? String } == ["answered from the dashboard"])
    }
}

extension WorkerLoopAttackTests {
    /// A human paused the session; guidance sent meanwhile must not release the waiting worker
    /// (it would go on working while paused). It is handed over with the resume.
    @Test func guidanceDuringAPauseWaitsForTheResume() throws {
        let fixture = try GitFixture()
        try fixture.started(37)
        try loop.stuck(fixture, 37)
        try fixture.ppds(["pause", "37"]).check()
        let output = Pipe()
        let worker = try loop.launchWorker(fixture, ["wait", "37", "--timeout", "60s", "--json"], output: output, until: "paused", issue: 37)
        try fixture.ppds(["guide", "37", "when you resume, use sliding"]).check()
        #expect(!loop.waitForExit(worker, within: 1.5), "guidance released a paused worker")
        #expect(try loop.guidance(fixture, 37).first?["delivered"] == nil)
        try fixture.ppds(["resume", "37"]).check()
        #expect(loop.waitForExit(worker, within: 10))
        if worker.isRunning { worker.terminate() }
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        let answer = try #require(try JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect(answer["status"] as? String == "stuck")
        #expect((answer["guidance"] as? [[String: Any]])?.map { $0["message"] as? String } == ["when you resume, use sliding"])
        // A wait begun during the pause with guidance already there also waits for the resume.
        try fixture.ppds(["pause", "37"]).check()
        try fixture.ppds(["guide", "37", "second"]).check()
        #expect(try fixture.ppds(["wait", "37", "--timeout", "1s"]).status == 3)
    }
}

extension WorkerLoopAttackTests {
    /// A session file a few bytes under the size limit, with unread guidance: marking it read
    /// would make the file too large, so the write is refused after the guidance was printed.
    /// Every later wait prints it again at once and exits 2, the code that tells a worker the
    /// session is finished. `guide` keeps ppds's own files at half the limit (tested below); a
    /// file another tool wrote this full is still a known issue.
    @Test func unreadGuidanceInAFileAtTheSizeLimitIsRedeliveredForever() throws {
        let fixture = try GitFixture()
        try fixture.started(38)
        try loop.stuck(fixture, 38)
        try fixture.ppds(["guide", "38", "please read me"]).check()
        let file = fixture.home + "/sessions/work-38.json"
        let session = try Session.decode(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
        func padded(_ count: Int) -> Session {
            var copy = session
            copy.guidance.insert(Guidance(id: "g-old", message: String(repeating: "x", count: count), at: session.started,
                                          delivered: session.started), at: 0)
            return copy
        }
        let full = padded(Session.maxFileSize - 8 - padded(0).encoded().count)
        try full.encoded().write(to: URL(fileURLWithPath: file))
        let first = try fixture.ppds(["wait", "38", "--timeout", "2s"])
        #expect(first.stdout.contains("] please read me"))
        let second = try fixture.ppds(["wait", "38", "--timeout", "1s"])
        withKnownIssue("marking it read makes the file too large to write") {
            #expect(first.status == 0, "\(first.stderr)")
            #expect(second.status == 3, "the same guidance again: \(second.stdout)")
        }
    }
}

extension WorkerLoopAttackTests {
    /// Guidance held for a paused worker is still handed over at the resume when someone ran
    /// `show` in the worktree meanwhile (which marks it read): the blocked worker never saw it.
    @Test func heldGuidanceSurvivesAShowInTheWorktreeDuringThePause() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(39)
        try loop.stuck(fixture, 39)
        try fixture.ppds(["pause", "39"]).check()
        let output = Pipe()
        let worker = try loop.launchWorker(fixture, ["wait", "39", "--timeout", "60s", "--json"], output: output, until: "paused", issue: 39)
        try fixture.ppds(["guide", "39", "use sliding"]).check()
        Thread.sleep(forTimeInterval: 0.5)  // the worker has seen it, held
        try fixture.ppds(["show"], in: worktree).check()
        #expect(try loop.guidance(fixture, 39).first?["delivered"] as? String != nil)
        try fixture.ppds(["resume", "39"]).check()
        #expect(loop.waitForExit(worker, within: 10))
        if worker.isRunning { worker.terminate() }
        worker.waitUntilExit()
        let answer = try #require(try JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect(answer["outcome"] as? String == "guidance")
        #expect((answer["guidance"] as? [[String: Any]])?.map { $0["message"] as? String } == ["use sliding"])
    }
}

extension WorkerLoopAttackTests {
    @Test func guideStopsAtHalfTheFileLimitSoReadMarksAlwaysFit() throws {
        let fixture = try GitFixture()
        try fixture.started(40)
        let big = String(repeating: "y", count: 120_000)  // under the kernel's 128 KiB per argument
        var sent = 0
        var last = try fixture.ppds(["guide", "40", big])
        while last.status == 0 && sent < 30 {
            sent += 1
            last = try fixture.ppds(["guide", "40", big])
        }
        #expect(sent == 17, "seventeen messages of 120 KB fit under 2 MiB")
        #expect(last.status == 2 && last.stderr.contains("bytes of guidance"), "\(last.stderr)")
        // And every one of them can still be read and marked.
        let read = try fixture.ppds(["wait", "40", "--timeout", "1s", "--json"]).check()
        #expect((try read.json()["guidance"] as? [[String: Any]])?.count == 17)
        #expect(try fixture.ppds(["wait", "40", "--timeout", "1s"]).status == 3)
    }
}
