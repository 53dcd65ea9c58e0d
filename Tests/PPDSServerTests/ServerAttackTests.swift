import Foundation
import Testing
import TestSupport
@testable import PPDSServer
#if canImport(Glibc)
import Glibc
#endif

/// The attacks of issues #19, #24 and #25 on `ppds serve`, each over real sockets on
/// 127.0.0.1 against the built binary: another local user, a crowd, a refused request that
/// wrote to disk. (A page on another origin and hostile fields: BrowserTests.)
@Suite struct ServerAttackTests {
    static let nobody = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    static var canSwitchUser: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    }

    /// Runs `command` as uid 65534.
    static func asNobody(_ command: [String]) throws -> ProcessResult {
        try runProcess(nobody[0], Array(nobody.dropFirst()) + command, in: "/")
    }

    /// Item 4: loopback is not a user boundary. Another local user reaches the port but
    /// cannot read a session, post guidance, or read the token.
    @Test(.enabled(if: canSwitchUser, "needs root, setpriv and curl"))
    func anotherLocalUserCannotReadOrInstruct() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "7", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        let before = try String(contentsOfFile: fixture.home + "/sessions/work-7.json", encoding: .utf8)
        let base = "http://127.0.0.1:\(server.port)"
        let read = try Self.asNobody(["/usr/bin/curl", "-s", "-w", "\n%{http_code}", base + "/api/v1/sessions"])
        #expect(read.stdout.hasSuffix("\n401"), "\(read.stdout)")
        #expect(!read.stdout.contains("work-7") && !read.stdout.contains("#7"), "\(read.stdout)")
        let guide = try Self.asNobody(["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                       "-H", "Content-Type: application/json", "--data", #"{"message":"rm -rf ~"}"#,
                                       base + "/api/v1/sessions/7/guidance"])
        #expect(guide.stdout == "401")
        let dashboard = try Self.asNobody(["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/"])
        #expect(dashboard.stdout == "401")
        // Nor can it read the token, or list the folder it is in.
        #expect(try Self.asNobody(["/bin/cat", fixture.home + "/serve-token"]).status != 0)
        #expect(try Self.asNobody(["/bin/ls", fixture.home]).status != 0)
        #expect(try String(contentsOfFile: fixture.home + "/sessions/work-7.json", encoding: .utf8) == before)
        // The user, with the token, gets in.
        let mine = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                                                    "Authorization: Bearer \(server.token)", base + "/api/v1/sessions"])
        #expect(mine.stdout == "200")
    }

    /// Item 6: the token is private from its first byte, in a private folder, and new at each
    /// start. An old `~/.ppds` made 0755 is made 0700.
    @Test(.enabled(if: canSwitchUser, "needs root, setpriv and curl"))
    func theTokenIsPrivateAndRotated() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        chmod(fixture.home, 0o755)
        // Someone planted a symlink where the token goes: it is replaced, never written through.
        let victim = fixture.folder.file("victim")
        try "untouched\n".write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: fixture.home + "/serve-token", withDestinationPath: victim)
        let first = try ServerProcess(fixture)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
        let home = try FileManager.default.attributesOfItem(atPath: fixture.home)
        #expect((home[.posixPermissions] as? Int) == 0o700)
        let file = try FileManager.default.attributesOfItem(atPath: fixture.home + "/serve-token")
        #expect((file[.posixPermissions] as? Int) == 0o600)
        #expect(file[.type] as? FileAttributeType == .typeRegular)
        #expect(try Self.asNobody(["/bin/cat", fixture.home + "/serve-token"]).status != 0)
        let token = first.token
        #expect(token.count == 64)
        first.stop()
        let second = try ServerProcess(fixture)
        #expect(second.token != token, "the token was not rotated")
        #expect(try httpRequest(port: second.port, "GET", "/api/v1/sessions", headers: ["Authorization": "Bearer " + token]).status == 401)
        #expect(try second.request("GET", "/api/v1/sessions").status == 200)
        // A token file that is a symlink, or another user's, is refused when read.
        let link = fixture.folder.file("home2")
        try FileManager.default.createDirectory(atPath: link, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link + "/serve-token", withDestinationPath: fixture.home + "/serve-token")
        #expect(throws: (any Error).self) { _ = try ServeToken.read(home: link) }
        let foreign = fixture.folder.file("home3")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try (String(repeating: "a", count: 64) + "\n").write(toFile: foreign + "/serve-token", atomically: true, encoding: .utf8)
        chown(foreign + "/serve-token", 65534, 65534)
        #expect(throws: (any Error).self) { _ = try ServeToken.read(home: foreign) }
    }

    /// Item 6, at the system-call level: the token's file is created 0600 with O_EXCL and
    /// O_NOFOLLOW, never chmod-ed into privacy afterwards.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace"))
    func theTokenFileIsCreatedPrivate() throws {
        let fixture = try GitFixture()
        let log = fixture.folder.file("strace.txt")
        // Under timeout(1): the server starts, writes its token, and is stopped after 6 s.
        let run = try runProcess("/usr/bin/timeout", ["-k", "2", "6", "/usr/bin/strace", "-f", "-qq", "-e",
                                                      "trace=open,openat,creat,chmod,fchmod,fchmodat,rename,renameat,renameat2", "-o", log,
                                                      TestEnvironment.ppdsBinary, "serve", "--port", "0"],
                                 in: fixture.repo, environment: ["PPDS_HOME": fixture.home])
        #expect(run.stdout.contains("listening on"), "\(run.stdout) \(run.stderr)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("serve-token") }
        let creations = lines.filter { $0.contains("O_CREAT") }
        #expect(!creations.isEmpty, "\(lines)")
        for line in creations {
            #expect(line.contains("O_EXCL") && line.contains("O_NOFOLLOW") && line.contains(", 0600)"), "\(line)")
        }
        #expect(!lines.contains { $0.contains("chmod(") || $0.contains("fchmodat(") }, "\(lines)")
    }

    /// Item 9: a crowd of half-sent requests holds every connection; the next client gets a
    /// clear 503, the crowd is closed after the header timeout, and then requests are served.
    @Test func aCrowdGetsA503AndIsClosedAfterTheHeaderTimeout() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture, arguments: ["--max-connections", "4", "--idle-timeout", "1.5"])
        let crowd = try (0..<4).map { _ in try HTTPConnection(port: server.port) }
        for connection in crowd { connection.send("GET /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") }
        usleep(200_000)
        let start = Date()
        let full = try server.request("GET", "/api/v1/sessions", timeout: 5)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(full.status == 503, "\(full.status) \(full.body)")
        #expect(full.body.contains("\"kind\":\"unavailable\""), "\(full.body)")
        #expect(full.headers["retry-after"] == "1")
        #expect(full.headers["x-frame-options"] == "DENY")
        // A client trickling its head a byte at a time is closed too: the timeout counts from
        // the connection's start, not from its last byte.
        for connection in crowd { _ = connection.read(timeout: 3) { _ in false } }
        let allClosed = crowd.allSatisfy { $0.isClosed }
        #expect(allClosed, "half-sent requests were not closed")
        let trickle = try HTTPConnection(port: server.port)
        let trickleStart = Date()
        for byte in "GET /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".map(String.init) {
            trickle.send(byte)
            _ = trickle.read(timeout: 0.2) { _ in false }
            if trickle.isClosed { break }
        }
        #expect(trickle.isClosed, "a trickled head kept its connection")
        #expect(Date().timeIntervalSince(trickleStart) < 5)
        // A body that trickles in gets 408.
        let slowBody = try HTTPConnection(port: server.port)
        slowBody.send("POST /api/v1/sessions/1/guidance HTTP/1.1\r\nHost: 127.0.0.1\r\n" + server.authorizationLine
            + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"message\":\"")
        var answer = ""
        for _ in 0..<40 where !answer.contains("\r\n\r\n") {
            slowBody.send("x")
            answer = slowBody.read(timeout: 0.2) { $0.contains("\r\n\r\n") }
        }
        #expect(parseReply(answer).status == 408, "\(answer)")
        #expect(try server.request("GET", "/api/v1/sessions/1").status == 200)
    }

    /// Item 9 with a low open-file limit (100): 150 half-sent requests never make the server
    /// answer 500 ("Too many open files") or hang; it answers 503 while full and 200 after.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit"))
    func aCrowdCannotExhaustTheDescriptors() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "2", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture, arguments: ["--idle-timeout", "2"], launcher: ["/usr/bin/prlimit", "--nofile=100:100"])
        let crowd = try (0..<150).map { _ in try HTTPConnection(port: server.port) }
        for connection in crowd { connection.send("GET /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n") }
        usleep(300_000)
        // While the crowd is there: an answer, 200 or a clear 503, within a bounded time.
        let start = Date()
        let first = try server.request("GET", "/api/v1/sessions/1", timeout: 15)
        #expect([200, 503].contains(first.status), "\(first.status) \(first.body)")
        #expect(Date().timeIntervalSince(start) < 10, "waited \(Date().timeIntervalSince(start)) s")
        // Once the header timeout has closed the crowd, every request is served, files and all.
        var statuses: [Int] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, statuses.last != 200 {
            statuses.append(try server.request("GET", "/api/v1/sessions/2", timeout: 10).status)
            if statuses.last != 200 { usleep(200_000) }
        }
        #expect(statuses.allSatisfy { [200, 503].contains($0) } && statuses.last == 200, "\(statuses)")
        for path in ["/api/v1/sessions", "/api/v1/sessions/1", "/api/v1/sessions/2"] {
            let reply = try server.request("GET", path, timeout: 8)
            #expect(reply.status == 200, "\(path): \(reply.status) \(reply.body)")
        }
        let write = try server.request("POST", "/api/v1/sessions/2/pause", headers: ["Content-Type": "application/json"], body: "{}")
        #expect(write.status == 200, "\(write.body)")
        #expect(!server.output.contains("Too many open files"), "\(server.output)")
    }

    /// Item 5 at the HTTP level: every response, refusals and the 404 included, forbids framing.
    @Test func everyResponseForbidsFraming() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        let replies = [
            try server.request("GET", "/"), try server.request("GET", "/dashboard.js"), try server.request("GET", "/api/v1/sessions"),
            try server.request("GET", "/nope"), try httpRequest(port: server.port, "GET", "/"),
            try server.request("GET", "/", host: "evil.example"), try server.request("POST", "/api/v1/sessions/1/pause"),
            try httpRequest(port: server.port, "GET", "/?token=" + server.token),
        ]
        // Hummingbird's own answer to a request it cannot parse.
        let garbage = try HTTPConnection(port: server.port)
        garbage.send("GARBAGE\r\n\r\n")
        let parserReply = parseReply(garbage.read(timeout: 5) { $0.contains("\r\n\r\n") })
        #expect(parserReply.status == 400)
        for reply in replies + [parserReply] {
            #expect(reply.headers["x-frame-options"] == "DENY", "\(reply.status)")
            #expect(reply.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true, "\(reply.status)")
        }
        let page = replies[0].headers["content-security-policy"] ?? ""
        #expect(!page.contains("unsafe-inline") && page.contains("script-src 'self'"), "\(page)")
        #expect(!replies[0].body.contains("<script>") && !replies[0].body.contains("style="))
    }

    /// Issue #19, item 13: any `application/json` with parameters is JSON.
    @Test func jsonWithACharsetIsAccepted() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        for type in ["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON ; charset=\"utf-8\""] {
            let reply = try server.request("POST", "/api/v1/sessions/1/guidance", headers: ["Content-Type": type], body: #"{"message":"hi"}"#)
            #expect(reply.status == 200, "\(type): \(reply.status) \(reply.body)")
        }
        let curl = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(server.token)",
                                                    "-H", "Content-Type: application/json; charset=utf-8", "--data", "{}",
                                                    "http://127.0.0.1:\(server.port)/api/v1/sessions/1/pause"])
        #expect(curl.stdout == "200")
    }

    /// Issue #19, item 14: a refused request writes nothing, through the API or the CLI.
    @Test func aRefusedRequestLeavesNoLockFile() throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks"]).check()
        let server = try ServerProcess(fixture)
        for action in ["resume", "pause", "guidance", "status"] {
            let body = action == "guidance" ? #"{"message":"x"}"# : action == "status" ? #"{"status":"working"}"# : "{}"
            let reply = try server.request("POST", "/api/v1/sessions/4242/\(action)", headers: ["Content-Type": "application/json"], body: body)
            #expect(reply.status == 404, "\(action): \(reply.status)")
        }
        #expect(try server.request("GET", "/api/v1/sessions/4243").status == 404)
        for arguments in [["update", "4244", "--status", "working"], ["guide", "4245", "hello"], ["pause", "4246"], ["resume", "4247"],
                          ["cancel", "4248"]] {
            #expect(try fixture.ppds(arguments).status != 0, "\(arguments)")
        }
        let locks = (try? FileManager.default.contentsOfDirectory(atPath: fixture.home + "/locks")) ?? []
        #expect(!locks.contains { $0.contains("424") }, "\(locks)")
    }
}
