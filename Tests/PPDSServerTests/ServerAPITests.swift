import Foundation
import Testing
import TestSupport
import Lifecycle
import SessionKit
import Support
import View

/// Every endpoint of `ppds serve`, including the refusals, against a real server process.
@Suite struct ServerAPITests {
    let fixture: GitFixture
    let server: ServerProcess

    init() throws {
        fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "2", "--offline", "--no-hooks"]).check()
        server = try ServerProcess(fixture)
    }

    let json = ["Content-Type": "application/json"]

    @Test func readEndpointsMatchTheCLI() throws {
        let list = try httpRequest(port: server.port, "GET", "/api/v1/sessions")
        #expect(list.status == 200)
        #expect(list.headers["content-type"] == "application/json")
        let document = try list.json()
        #expect(document["version"] as? Int == 1)
        let cli = try fixture.ppds(["status", "--json"]).check().json()
        #expect((document["sessions"] as? [[String: Any]])?.map { $0["issue"] as? String } == (cli["sessions"] as? [[String: Any]])?.map { $0["issue"] as? String })
        let one = try httpRequest(port: server.port, "GET", "/api/v1/sessions/1").json()
        let session = try #require(one["session"] as? [String: Any])
        #expect(session["issue"] as? String == "#1")
        #expect((session["git"] as? [String: Any])?["worktreeExists"] as? Bool == true)
        let page = try httpRequest(port: server.port, "GET", "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<title>ppds"))
        #expect(!page.body.contains("https://"))  // nothing from a CDN
    }

    @Test func writeEndpointsUseTheSameTransitions() throws {
        let stuck = try httpRequest(port: server.port, "POST", "/api/v1/sessions/1/status", headers: json,
                                    body: #"{"status":"stuck","reason":"Auth decision","context":"sliding or fixed?","options":["sliding","fixed"]}"#)
        #expect(stuck.status == 200, "\(stuck.body)")
        #expect(try fixture.ppds(["show", "1", "--json"]).check().stdout.contains("Auth decision"))
        let guided = try httpRequest(port: server.port, "POST", "/api/v1/sessions/1/guidance", headers: json, body: #"{"message":"sliding"}"#)
        #expect(guided.status == 200)
        let paused = try httpRequest(port: server.port, "POST", "/api/v1/sessions/1/pause", headers: json, body: "{}")
        #expect(paused.status == 200)
        // A paused session refuses worker updates, as in the CLI.
        let refused = try httpRequest(port: server.port, "POST", "/api/v1/sessions/1/status", headers: json, body: #"{"status":"working"}"#)
        #expect(refused.status == 409)
        let error = try #require(try refused.json()["error"] as? [String: Any])
        #expect((error["message"] as? String ?? "").contains("paused"))
        let resumed = try httpRequest(port: server.port, "POST", "/api/v1/sessions/1/resume", headers: json)
        #expect(resumed.status == 200)
        let file = try String(contentsOfFile: fixture.home + "/sessions/work-1.json", encoding: .utf8)
        #expect(file.contains("\"status\": \"stuck\""))
        #expect(file.contains("\"message\": \"sliding\""))
    }

    @Test func refusals() throws {
        let cases: [(String, String, [String: String], String?, Int)] = [
            ("GET", "/api/v1/sessions/abc", [:], nil, 400),
            ("GET", "/api/v1/sessions/0", [:], nil, 400),
            ("GET", "/api/v1/sessions/..%2F..%2Fetc", [:], nil, 400),
            ("GET", "/api/v1/sessions/99", [:], nil, 404),
            ("POST", "/api/v1/sessions/99/pause", json, "{}", 404),
            ("POST", "/api/v1/sessions/1/status", json, #"{"status":"bogus"}"#, 400),
            ("POST", "/api/v1/sessions/1/status", json, #"{"status":"stuck"}"#, 400),
            ("POST", "/api/v1/sessions/1/status", json, #"{"status":"complete","pr":"javascript:alert(1)"}"#, 400),
            ("POST", "/api/v1/sessions/1/status", json, "not json", 400),
            ("POST", "/api/v1/sessions/1/resume", json, "{}", 409),
            ("POST", "/api/v1/sessions/1/pause", ["Content-Type": "text/plain"], "{}", 415),
            ("POST", "/api/v1/sessions/1/pause", [:], "{}", 415),
            ("POST", "/api/v1/sessions/1/pause", ["Content-Type": "application/json", "Origin": "http://evil.example"], "{}", 403),
            ("POST", "/api/v1/sessions/1/guidance", json, "{\"message\":\"" + String(repeating: "x", count: 70_000) + "\"}", 413),
        ]
        for (method, path, headers, body, expected) in cases {
            let reply = try httpRequest(port: server.port, method, path, headers: headers, body: body)
            #expect(reply.status == expected, "\(method) \(path): \(reply.status) \(reply.body.prefix(200))")
            if reply.status >= 400 {
                #expect((try? reply.json())?["error"] != nil, "\(method) \(path)")
            }
        }
        // DNS rebinding: a foreign Host on a loopback server.
        let rebound = try httpRequest(port: server.port, "GET", "/api/v1/sessions", host: "evil.example:80")
        #expect(rebound.status == 403)
        // The session was never changed by any refusal.
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-1.json", encoding: .utf8).contains("\"status\": \"registered\""))
    }

    @Test func aNonLoopbackBindNeedsTheToken() throws {
        let open = try ServerProcess(fixture, arguments: ["--host", "0.0.0.0"])
        defer { open.stop() }
        let tokenFile = fixture.home + "/serve-token"
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try httpRequest(port: open.port, "GET", "/api/v1/sessions").status == 401)
        #expect(try httpRequest(port: open.port, "GET", "/api/v1/sessions", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try httpRequest(port: open.port, "GET", "/", headers: [:]).status == 401)
        #expect(try httpRequest(port: open.port, "GET", "/api/v1/sessions", headers: ["Authorization": "Bearer " + token]).status == 200)
        #expect(try httpRequest(port: open.port, "GET", "/api/v1/sessions?token=" + token).status == 200)
        let write = try httpRequest(port: open.port, "POST", "/api/v1/sessions/2/pause",
                                    headers: ["Authorization": "Bearer " + token, "Content-Type": "application/json"], body: "{}")
        #expect(write.status == 200)
    }

    @Test func stopsCleanlyOnSigterm() throws {
        let other = try ServerProcess(fixture)
        #expect(other.stop() == 0)
    }
}

/// Server-sent events: changes made through the CLI and through the API reach a connected client.
@Suite struct ServerEventTests {
    @Test func cliAndAPIChangesArriveAsEvents() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "5", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        let stream = try HTTPConnection(port: server.port)
        stream.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nAccept: text/event-stream\r\n\r\n")
        var text = stream.read(timeout: 10) { $0.contains("event: snapshot") && $0.contains("\n\n") }
        #expect(text.contains("text/event-stream"))
        #expect(text.contains("event: snapshot"))

        try fixture.ppds(["update", "5", "--status", "stuck", "--reason", "from the CLI"]).check()
        text = stream.read(timeout: 10) { $0.contains("from the CLI") }
        #expect(text.contains("event: session"))
        #expect(text.contains("\"change\":\"changed\""))

        let reply = try httpRequest(port: server.port, "POST", "/api/v1/sessions/5/guidance",
                                    headers: ["Content-Type": "application/json"], body: #"{"message":"from the API"}"#)
        #expect(reply.status == 200)
        text = stream.read(timeout: 10) { $0.contains("from the API") }
        #expect(text.contains("from the API"))
        // A removed session and a new problem.
        try FileManager.default.removeItem(atPath: fixture.folder.file("repo-issue-5"))
        text = stream.read(timeout: 10) { $0.contains("event: problem") }
        #expect(text.contains("worktreeMissing"))

        // Reconnecting with Last-Event-ID replays what was missed; an unknown id gets a snapshot.
        let ids = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
        let first = try #require(ids.dropFirst().first, "\(text)")
        let again = try HTTPConnection(port: server.port)
        again.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nLast-Event-ID: \(first)\r\n\r\n")
        let replay = again.read(timeout: 5) { $0.contains("from the API") }
        #expect(replay.contains("from the API"))
        #expect(!replay.contains("event: snapshot"))
        let stale = try HTTPConnection(port: server.port)
        stale.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nLast-Event-ID: 999999\r\n\r\n")
        #expect(stale.read(timeout: 5) { $0.contains("event: snapshot") }.contains("event: snapshot"))
    }

    @Test func notifySendsADesktopNotificationAndRunsHooks() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "6", "--offline", "--no-hooks"]).check()
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let log = fixture.folder.file("notify.txt")
        try "#!/bin/sh\nprintf '%s|' \"$@\" >> \(log)\necho >> \(log)\n".write(toFile: bin + "/notify-send", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/notify-send")
        let hookLog = fixture.folder.file("hook.txt")
        try "[hooks]\non_stuck = [[\"sh\", \"-c\", \"echo $PPDS_EVENT $PPDS_ISSUE $PPDS_REASON >> \(hookLog)\"]]\n"
            .write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let server = try ServerProcess(fixture, arguments: ["--notify"], environment: ["PATH": path])
        try fixture.ppds(["update", "6", "--status", "stuck", "--reason", "Need a decision"]).check()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: hookLog) { usleep(100_000) }
        try fixture.ppds(["ship", "6", "--pr", "https://example.com/o/r/pull/6", "--force"]).check()
        for _ in 0..<100 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("PR ready") { usleep(100_000) }
        server.stop()
        let notes = try String(contentsOfFile: log, encoding: .utf8)
        #expect(notes.contains("--app-name=ppds|--|ppds: #6 is stuck|Need a decision|"))
        #expect(notes.contains("ppds: #6 PR ready|https://example.com/o/r/pull/6|"))
        #expect(try String(contentsOfFile: hookLog, encoding: .utf8) == "stuck 6 Need a decision\n")
    }
}
