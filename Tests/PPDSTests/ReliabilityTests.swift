import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View


@Suite struct FuzzedSessionFileTests {
    static let valid = """
    {"id": "work-1", "status": "working", "issue": "#1", "branch": "feat/x", "worktree": "/w/x",
     "started": "2025-01-08T10:30:00Z", "lastUpdate": "2025-01-08T11:15:00Z", "stuck": null,
     "guidance": [{"message": "m", "at": "2025-01-08T11:00:00Z"}], "pausedFrom": null, "extra": {"a": [1, 2]}}
    """

    /// One mutation of the valid file.
    static func mutate(_ random: inout SeededRandom, _ index: Int) -> Data {
        var bytes = Array(valid.utf8)
        switch index % 8 {
        case 0: // truncation
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
        case 1: // byte flips
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            }
        case 2: // wrong types
            let keys = ["\"status\": \"working\"", "\"issue\": \"#1\"", "\"branch\": \"feat/x\"", "\"started\": \"2025-01-08T10:30:00Z\"",
                        "\"stuck\": null", "\"guidance\": [{\"message\": \"m\", \"at\": \"2025-01-08T11:00:00Z\"}]"]
            let values = ["42", "true", "[]", "{}", "null", "-1.5e300", "\"\""]
            let key = keys.randomElement(using: &random)!
            let name = key.split(separator: ":")[0]
            bytes = Array(valid.replacingOccurrences(of: key, with: "\(name): \(values.randomElement(using: &random)!)").utf8)
        case 3: // huge strings
            let huge = String(repeating: "x", count: Int.random(in: 50_000...300_000, using: &random))
            bytes = Array(valid.replacingOccurrences(of: "feat/x", with: huge).utf8)
        case 4: // deep nesting
            let depth = Int.random(in: 100...50_000, using: &random)
            bytes = Array(valid.replacingOccurrences(of: "[1, 2]", with: String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        case 5: // invalid UTF-8
            let at = Int.random(in: 0..<bytes.count, using: &random)
            bytes.insert(contentsOf: [0xC3, 0x28, 0xFF, 0xFE], at: at)
        case 6: // random garbage
            bytes = (0..<Int.random(in: 0...400, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        default: // a valid file of another issue number, or an unknown status
            bytes = Array(valid.replacingOccurrences(of: "\"working\"", with: "\"status-\(index)\"").utf8)
        }
        return Data(bytes)
    }

    @Test func aThousandMutationsNeverCrashAndAreNamed() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(1, title: "Good one")
        let sessions = fixture.home + "/sessions"
        var random = SeededRandom(seed: 2026)
        for index in 0..<1000 {
            let issue = 1000 + index
            let data = Self.mutate(&random, index)
            // Keep the id consistent with the file name where the mutation left it intact.
            let text = String(decoding: data, as: UTF8.self)
            let renamed = text.contains("\"work-1\"") && text.utf8.count == data.count
                ? Data(text.replacingOccurrences(of: "\"work-1\"", with: "\"work-\(issue)\"").replacingOccurrences(of: "\"#1\"", with: "\"#\(issue)\"").utf8)
                : data
            try renamed.write(to: URL(fileURLWithPath: "\(sessions)/work-\(issue).json"))
        }
        let status = try fixture.ppds(["status", "--json", "--all"])
        #expect(status.status == 0, "\(status.stderr)")
        let json = try status.json()
        let sessionsSeen = (json["sessions"] as? [[String: Any]] ?? []).compactMap { $0["issue"] as? String }
        #expect(sessionsSeen.contains("#1"))
        let named = Set((json["problems"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String })
        // Every file is either read as a session or named as a problem.
        let everyFile = try FileManager.default.contentsOfDirectory(atPath: sessions).filter { $0.hasSuffix(".json") }
        for name in everyFile where name != "work-1.json" {
            let issue = "#" + name.dropFirst(5).dropLast(5)
            #expect(sessionsSeen.contains(issue) || named.contains(sessions + "/" + name), "\(name)")
        }
        for arguments in [["doctor", "--json"], ["prune", "--dry-run", "--json"], ["show", "1", "--json"],
                          ["update", "1", "--status", "planning"], ["guide", "1", "keep going"], ["status"]] {
            let result = try fixture.ppds(arguments)
            #expect(result.status == 0 || result.status == 1, "\(arguments): \(result.status) \(result.stderr.prefix(300))")
        }
        let shown = try fixture.ppds(["show", "1"]).check().stdout
        #expect(shown.contains(worktree))
        // A bad file that is needed is refused with its name; nothing was rewritten.
        let bad = try fixture.ppds(["update", "1004", "--status", "working"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("work-1004.json"))
    }
}

@Suite struct ConcurrentWriterTests {
    @Test func writersFromManyProcessesAndAReaderThatNeverSeesHalfAFile() throws {
        let fixture = try GitFixture()
        try fixture.started(5, title: "Busy")
        let file = fixture.home + "/sessions/work-5.json"
        let stop = ManagedFlag()
        let readerFailures = ManagedCounter()
        let readerReads = ManagedCounter()
        let reader = Thread {
            while !stop.isSet {
                if let data = FileManager.default.contents(atPath: file) {
                    readerReads.add()
                    if (try? JSONSerialization.jsonObject(with: data)) == nil { readerFailures.add() }
                }
            }
        }
        reader.start()
        let processes = try (0..<16).map { index in
            try fixture.launchPPDS(index % 2 == 0
                ? ["guide", "5", "guidance \(index)"]
                : ["update", "5", "--status", index % 4 == 1 ? "working" : "planning"])
        }
        for process in processes { process.waitUntilExit(); #expect(process.terminationStatus == 0) }
        stop.set()
        while !reader.isFinished { usleep(1000) }
        #expect(readerFailures.value == 0)
        #expect(readerReads.value > 0)
        let session = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        let guidance = (session["guidance"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(Set(guidance) == Set(stride(from: 0, to: 16, by: 2).map { "guidance \($0)" }))
        #expect(["working", "planning"].contains(session["status"] as? String ?? ""))
    }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set() { lock.lock(); flag = true; lock.unlock() }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func add() { lock.lock(); count += 1; lock.unlock() }
}
