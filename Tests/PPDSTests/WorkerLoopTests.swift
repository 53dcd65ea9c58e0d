import Foundation
import Synchronization
import Testing
import TestSupport
import SessionKit
import Support
import View

/// The worker's end of the loop, through the built binary: a blocked `update --wait` or `wait`
/// that returns with the guidance, delivery marks, and the orchestrator's `guide`/`next`.
@Suite struct WorkerLoopTests {
    func sessionJSON(_ fixture: GitFixture, _ issue: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.home + "/sessions/work-\(issue).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func guidance(_ fixture: GitFixture, _ issue: Int) throws -> [[String: Any]] {
        try sessionJSON(fixture, issue)["guidance"] as? [[String: Any]] ?? []
    }

    func stuck(_ fixture: GitFixture, _ issue: Int, options: [String] = ["sliding", "fixed bucket"]) throws {
        try fixture.ppds(["update", String(issue), "--status", "stuck", "--reason", "which algorithm?"]
                         + options.flatMap { ["--option", $0] }).check()
    }

    /// Launches `ppds <arguments>` and returns it once its session file says `status`.
    func launchWorker(_ fixture: GitFixture, _ arguments: [String], output: Pipe, until status: String, issue: Int) throws -> Process {
        let worker = try fixture.launchPPDS(arguments, output: output)
        let deadline = Date().addingTimeInterval(20)
        while (try? sessionJSON(fixture, issue)["status"] as? String) != status {
            try #require(Date() < deadline && worker.isRunning, "the worker never reached \(status)")
            Thread.sleep(forTimeInterval: 0.02)
        }
        // Into its wait: a thread blocked in poll(2) on the watcher (nothing else in ppds polls),
        // which comes after the wait's first read. A fixed sleep lost that race on a loaded machine.
        while !Self.isPolling(worker.processIdentifier) {
            try #require(Date() < deadline && worker.isRunning, "the worker never blocked in its wait")
            Thread.sleep(forTimeInterval: 0.01)
        }
        return worker
    }

    /// Whether a thread of `pid` is in the poll system call (x86_64: 7; aarch64 has only ppoll, 73).
    static func isPolling(_ pid: Int32) -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.contains { task in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/syscall", encoding: .utf8) else { return false }
            let number = text.split(separator: " ").first.map(String.init)
            #if arch(x86_64)
            return number == "7" || number == "271"
            #else
            return number == "73"
            #endif
        }
    }

    func waitForExit(_ process: Process, within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        return !process.isRunning
    }

    @Test func aBlockedWorkerGetsTheGuidanceWithinOneSecond() throws {
        let fixture = try GitFixture()
        try fixture.started(3101)
        let output = Pipe()
        let worker = try launchWorker(fixture, ["update", "3101", "--status", "stuck", "--reason", "which algorithm?",
                                                "--option", "sliding", "--option", "fixed", "--wait", "--timeout", "60s", "--json"],
                                      output: output, until: "stuck", issue: 3101)
        #expect(worker.isRunning, "the worker must block until guidance comes")
        let sent = Date()
        try fixture.ppds(["guide", "3101", "use sliding"]).check()
        #expect(waitForExit(worker, within: 1), "the worker must return within 1 s of the guide")
        let elapsed = Date().timeIntervalSince(sent)
        if worker.isRunning { worker.terminate() }
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        #expect(elapsed < 1, "took \(elapsed) s")
        print("guide to worker exit: \(Int(elapsed * 1000)) ms")
        let answer = try #require(try JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect(answer["version"] as? Int == 1)
        #expect(answer["outcome"] as? String == "guidance")
        let messages = try #require(answer["guidance"] as? [[String: Any]])
        #expect(messages.map { $0["message"] as? String } == ["use sliding"])
        #expect(messages.first?["id"] as? String != nil && messages.first?["at"] as? String != nil)
        // Read: the file says so, and the view says "read".
        #expect(try guidance(fixture, 3101).first?["delivered"] as? String != nil)
        let status = try fixture.ppds(["status", "--json"]).check().json()
        let session = try #require((status["sessions"] as? [[String: Any]])?.first)
        #expect((session["answer"] as? [String: Any])?["state"] as? String == "read")
        #expect(try fixture.ppds(["status"]).check().stdout.contains(", read "))
    }

    @Test func aWaitTimesOutWithExitThree() throws {
        let fixture = try GitFixture()
        try fixture.started(7)
        try stuck(fixture, 7)
        let started = Date()
        let result = try fixture.ppds(["wait", "7", "--timeout", "1s"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("#7: no guidance within 1 s"))
        #expect(Date().timeIntervalSince(started) < 5)
        let json = try fixture.ppds(["wait", "7", "--timeout", "1s", "--json"])
        #expect(json.status == 3)
        #expect(try json.json()["outcome"] as? String == "timedOut")
        // --timeout without --wait is a usage error.
        #expect(try fixture.ppds(["update", "7", "--status", "working", "--timeout", "1s"]).status == 64)
    }

    @Test func everyReaderMarksGuidanceReadAndOnlyThose() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(8)
        try stuck(fixture, 8)
        try fixture.ppds(["guide", "8", "first"]).check()
        // The orchestrator's own show (outside the worktree) is not the worker reading it.
        #expect(try fixture.ppds(["show", "8"]).check().stdout.contains("first (not yet read)"))
        #expect(try guidance(fixture, 8).first?["delivered"] == nil)
        let status = try fixture.ppds(["status"]).check().stdout
        #expect(status.contains(", not yet read)"), "\(status)")
        let answer = try #require((try fixture.ppds(["status", "--json"]).check().json()["sessions"] as? [[String: Any]])?.first?["answer"] as? [String: Any])
        #expect(answer["state"] as? String == "unread")
        // show inside the worktree: read.
        try fixture.ppds(["show"], in: worktree).check()
        #expect(try guidance(fixture, 8).first?["delivered"] as? String != nil)
        // update prints unread guidance and marks it.
        try fixture.ppds(["guide", "8", "second"]).check()
        let updated = try fixture.ppds(["update", "8", "--status", "working"]).check().stdout
        #expect(updated.contains("#8 is now working"))
        #expect(updated.contains("guidance from the orchestrator (1 message)") && updated.contains("] second"))
        #expect(!updated.contains("] first"))
        #expect(try guidance(fixture, 8).allSatisfy { $0["delivered"] as? String != nil })
        // wait returns at once with what is already there.
        try fixture.ppds(["guide", "8", "third"]).check()
        let waited = try fixture.ppds(["wait"], in: worktree).check().stdout
        #expect(waited.contains("] third") && !waited.contains("] second"))
        // And an update with nothing unread prints only its line.
        #expect(try fixture.ppds(["update", "8", "--status", "working"]).check().stdout == "#8 is now working\n")
    }

    @Test func concurrentGuidesWhileAWorkerWaitsAreNeverLost() throws {
        let fixture = try GitFixture()
        try fixture.started(9)
        try stuck(fixture, 9)
        let count = 24
        let received = Mutex<[String]>([])
        let worker = Thread {
            // A worker loop: wait, take what came, wait again, until it has seen every message.
            for _ in 0..<200 {
                guard let result = try? fixture.ppds(["wait", "9", "--timeout", "10s", "--json"]),
                      result.status == 0, let json = try? result.json() else { break }
                let messages = (json["guidance"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
                let total = received.withLock { $0 += messages; return $0.count }
                if total >= count { break }
            }
        }
        worker.start()
        DispatchQueue.concurrentPerform(iterations: count) { index in
            _ = try? fixture.ppds(["guide", "9", "message \(index)"])
        }
        let deadline = Date().addingTimeInterval(60)
        while received.withLock({ $0.count }) < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let messages = received.withLock { $0 }
        #expect(messages.count == count, "duplicates or losses: \(messages.sorted())")
        #expect(Set(messages) == Set((0..<count).map { "message \($0)" }))
        let stored = try guidance(fixture, 9)
        #expect(stored.count == count)
        #expect(Set(stored.compactMap { $0["id"] as? String }).count == count)
        #expect(stored.allSatisfy { $0["delivered"] as? String != nil })
    }

    @Test func aWaitingWorkerSeesAResumeAndAFinish() throws {
        let fixture = try GitFixture()
        try fixture.started(10)
        try fixture.ppds(["update", "10", "--status", "working"]).check()
        try fixture.ppds(["pause", "10"]).check()
        let output = Pipe()
        let worker = try launchWorker(fixture, ["wait", "10", "--timeout", "60s"], output: output, until: "paused", issue: 10)
        #expect(worker.isRunning)
        try fixture.ppds(["resume", "10"]).check()
        #expect(waitForExit(worker, within: 5))
        #expect(worker.terminationStatus == 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("#10 was resumed; the session is working again"))
        // A cancel ends the wait with exit 2.
        let second = Pipe()
        let waiting = try launchWorker(fixture, ["wait", "10", "--timeout", "60s"], output: second, until: "working", issue: 10)
        try fixture.ppds(["cancel", "10"]).check()
        #expect(waitForExit(waiting, within: 5))
        #expect(waiting.terminationStatus == 2)
    }

    @Test func guideWithoutAMessageAsksAndTakesANumberOrWords() throws {
        let fixture = try GitFixture()
        try fixture.started(11)
        try stuck(fixture, 11)
        let asked = try fixture.ppds(["guide", "11"], stdin: "2\n").check()
        #expect(asked.stderr.contains("1) sliding") && asked.stderr.contains("2) fixed bucket"))
        #expect(try guidance(fixture, 11).last?["message"] as? String == "fixed bucket")
        try fixture.ppds(["guide", "11"], stdin: "neither: use a token bucket\n").check()
        #expect(try guidance(fixture, 11).last?["message"] as? String == "neither: use a token bucket")
        // Nothing typed: nothing sent.
        let empty = try fixture.ppds(["guide", "11"], stdin: "")
        #expect(empty.status == 64)
        #expect(try guidance(fixture, 11).count == 2)
    }

    @Test func nextWalksStuckSessionsOldestFirst() throws {
        let fixture = try GitFixture()
        try fixture.started(21)
        try fixture.started(22)
        try fixture.started(23)
        try stuck(fixture, 22, options: ["a", "b"])
        Thread.sleep(forTimeInterval: 1.1)  // the files keep whole seconds
        try stuck(fixture, 21, options: ["c", "d"])
        try stuck(fixture, 23)
        try fixture.ppds(["guide", "23", "already answered"]).check()
        let result = try fixture.ppds(["next"], stdin: "2\nmy own words\n").check()
        #expect(try guidance(fixture, 22).map { $0["message"] as? String } == ["b"])
        #expect(try guidance(fixture, 21).map { $0["message"] as? String } == ["my own words"])
        #expect(try guidance(fixture, 23).count == 1, "answered-but-unread sessions are left out")
        #expect(result.stdout.contains("Guided 2, skipped 0, of 2 waiting."))
        let order = try #require(result.stderr.range(of: "#22")).lowerBound < (try #require(result.stderr.range(of: "#21"))).lowerBound
        #expect(order)
        // End of input stops the walk; nothing is sent.
        try stuck(fixture, 21)
        #expect(try fixture.ppds(["next"], stdin: "").check().stdout.contains("Guided 0"))
    }

    @Test func guidanceWrittenWithoutIDsGetsStableIDsAndKeepsItsKeys() throws {
        let text = """
        {"id":"work-5","status":"stuck","issue":"#5","branch":"b","worktree":"/tmp/x","started":"2026-01-01T00:00:00Z",
         "lastUpdate":"2026-01-01T00:00:00Z","stuck":{"reason":"r","options":[],"since":"2026-01-01T00:00:00Z"},
         "guidance":[{"message":"hi","at":"2026-01-01T00:01:00Z","from":"alice"}]}
        """
        let first = try Session.decode(Data(text.utf8), file: "work-5.json")
        let second = try Session.decode(Data(text.utf8), file: "work-5.json")
        #expect(first.guidance[0].id == second.guidance[0].id)
        #expect(first.guidance[0].id.hasPrefix("g-"))
        let rewritten = try Session.decode(first.encoded(), file: "work-5.json")
        #expect(rewritten.guidance == first.guidance)
        #expect(rewritten.guidance[0].extra["from"] == .string("alice"))
        #expect(first.stuckAnswer?.state == .unread)
        let bad = text.replacingOccurrences(of: "\"message\":\"hi\"", with: "\"message\":\"hi\",\"id\":7")
        #expect(throws: SessionFileError.self) { try Session.decode(Data(bad.utf8), file: "work-5.json") }
    }

    @Test func theStuckNotificationNamesTheOptions() {
        let body = Notifier.stuckBody(StuckContext(reason: "which?", options: ["sliding", "fixed"], since: Date()))
        #expect(body == "which?\nOptions: 1) sliding  2) fixed")
        #expect(Notifier.stuckBody(nil) == "needs input")
    }
}

extension WorkerLoopTests {
    @Test func aWaitOutlivesAHalfWrittenFileAndStillTimesOut() throws {
        let fixture = try GitFixture()
        try fixture.started(12)
        try stuck(fixture, 12)
        let file = fixture.home + "/sessions/work-12.json"
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        let output = Pipe()
        let worker = try launchWorker(fixture, ["wait", "12", "--timeout", "30s"], output: output, until: "stuck", issue: 12)
        // Another tool writes the file in place, in two steps.
        try Data(good.prefix(20)).write(to: URL(fileURLWithPath: file))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(worker.isRunning, "a half-written file must not end the wait")
        try good.write(to: URL(fileURLWithPath: file))
        try fixture.ppds(["guide", "12", "carry on"]).check()
        #expect(waitForExit(worker, within: 5))
        #expect(worker.terminationStatus == 0)
        // A file that stays broken still ends at the timeout.
        try Data("{".utf8).write(to: URL(fileURLWithPath: file))
        // A broken file at the start is the caller's error, named.
        let broken = try fixture.ppds(["wait", "12", "--timeout", "1s"])
        #expect(broken.status == 2 && broken.stderr.contains("work-12.json"))
    }
}
