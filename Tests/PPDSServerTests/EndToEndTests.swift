import Foundation
import Testing
import TestSupport

/// The built `ppds serve` over real sockets: what only a real server shows (the HTTP parser,
/// the bind, signals, long-lived event streams).
@Suite struct EndToEndTests {
    /// Server-sent events: changes made through the CLI and through the API reach a connected
    /// client; reconnecting with Last-Event-ID replays what was missed.
    @Test func cliAndAPIChangesArriveAsEvents() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "5", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        let stream = try HTTPConnection(port: server.port)
        stream.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n" + server.authorizationLine + "Accept: text/event-stream\r\n\r\n")
        var text = stream.read(timeout: 10) { $0.contains("event: snapshot") && $0.contains("\n\n") }
        #expect(text.contains("text/event-stream"))
        #expect(text.contains("event: snapshot"))

        try fixture.ppds(["update", "5", "--status", "stuck", "--reason", "from the CLI"]).check()
        text = stream.read(timeout: 10) { $0.contains("from the CLI") }
        #expect(text.contains("event: session"))
        #expect(text.contains("\"change\":\"changed\""))

        let reply = try server.request("POST", "/api/v1/sessions/5/guidance",
                                    headers: ["Content-Type": "application/json"], body: #"{"message":"from the API"}"#)
        #expect(reply.status == 200)
        text = stream.read(timeout: 10) { $0.contains("from the API") }
        #expect(text.contains("from the API"))
        // A removed worktree: a new problem.
        try FileManager.default.removeItem(atPath: fixture.folder.file("repo-issue-5"))
        text = stream.read(timeout: 10) { $0.contains("event: problem") }
        #expect(text.contains("worktreeMissing"))

        // Reconnecting with Last-Event-ID replays what was missed; an unknown id gets a snapshot.
        let ids = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
        let first = try #require(ids.dropFirst().first, "\(text)")
        let again = try HTTPConnection(port: server.port)
        again.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n" + server.authorizationLine + "Last-Event-ID: \(first)\r\n\r\n")
        let replay = again.read(timeout: 5) { $0.contains("from the API") }
        #expect(replay.contains("from the API"))
        #expect(!replay.contains("event: snapshot"))
        let stale = try HTTPConnection(port: server.port)
        stale.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n" + server.authorizationLine + "Last-Event-ID: 999999\r\n\r\n")
        #expect(stale.read(timeout: 5) { $0.contains("event: snapshot") }.contains("event: snapshot"))
    }

    /// SIGTERM ends the event streams and the server exits promptly, clients connected or not.
    @Test func sigtermStopsTheServerWithEventStreamsOpen() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture, arguments: ["--interval", "30"])
        let clients = try (0..<3).map { _ in try HTTPConnection(port: server.port) }
        for client in clients {
            client.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n" + server.authorizationLine + "\r\n")
            let text = client.read(timeout: 10) { $0.range(of: #"event: snapshot\ndata: [^\n]*\n\n"#, options: .regularExpression) != nil }
            #expect(text.contains("event: snapshot"))
        }
        let (status, seconds) = server.terminate(timeout: 5)
        #expect(seconds < 2, "exited after \(seconds) s")
        #expect(status == 0, "\(server.output)")
        // Each stream ended properly: the last chunk, then the connection closed.
        for client in clients {
            let text = client.read(timeout: 2) { _ in false }
            #expect(text.hasSuffix("0\r\n\r\n"), "\(text.suffix(80).debugDescription)")
            #expect(client.isClosed)
        }
    }

    /// The HTTP parser's refusal is a 400 (it was a 500): a body with broken chunked framing.
    @Test func brokenChunkedFramingIsABadRequest() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        let before = try String(contentsOfFile: fixture.home + "/sessions/work-1.json", encoding: .utf8)
        for framing in ["zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcdef\r\n0\r\n\r\n", "-1\r\n{}\r\n0\r\n\r\n"] {
            let connection = try HTTPConnection(port: server.port)
            connection.send("POST /api/v1/sessions/1/guidance HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n" + server.authorizationLine + ""
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + framing)
            let reply = parseReply(connection.read(timeout: 5))
            #expect(reply.status == 400, "\(framing.debugDescription): \(reply.status) \(reply.body)")
            #expect(reply.body.contains("\"status\":400"), "\(reply.body)")
        }
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-1.json", encoding: .utf8) == before)
        // The server still answers.
        #expect(try server.request("GET", "/api/v1/sessions").status == 200)
    }

    /// DNS rebinding over the wire: a name that merely starts like a loopback address.
    @Test func foreignHostsAreRefusedOnALoopbackBind() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        for host in ["evil.example:80", "127.0.0.1.evil.example:\(server.port)", "127.evil.example", "localhost.evil.example"] {
            let reply = try server.request("GET", "/api/v1/sessions", host: host)
            #expect(reply.status == 403, "\(host)")
            #expect(reply.body.contains("\"kind\":\"forbidden\""), "\(host): \(reply.body)")
        }
        for host in ["127.0.0.1:\(server.port)", "localhost:\(server.port)", "[::1]:\(server.port)"] {
            #expect(try server.request("GET", "/api/v1/sessions", host: host).status == 200, "\(host)")
        }
    }

    /// A second server on a busy port says so plainly and exits 1.
    @Test func aBusyPortIsSaidPlainly() throws {
        let fixture = try GitFixture()
        let server = try ServerProcess(fixture)
        let second = try runPPDS(["serve", "--port", "\(server.port)"], home: fixture.home, in: fixture.repo, timeout: 20)
        #expect(second.status == 1)
        #expect(second.stderr.contains("port \(server.port) is already in use"), "\(second.stderr)")
        #expect(!second.stderr.contains("errno"), "\(second.stderr)")
        #expect(!second.stdout.contains("listening"))
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
