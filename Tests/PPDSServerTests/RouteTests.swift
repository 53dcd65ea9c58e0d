import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import Config
import Lifecycle
import Support
import View
@testable import PPDSServer
import SessionKit
import Testing
import TestSupport
import LifecycleCore

/// A repository with sessions and an `APIServer` on it, tested in-process through
/// `app.test(.router)`: the router with its middlewares and the watcher service, no socket.
struct RouteFixture: Sendable {
    let fixture: GitFixture
    let server: APIServer

    init(issues: [String] = ["1", "2"], host: String = "127.0.0.1") throws {
        fixture = try GitFixture()
        try fixture.ppds(["start-work"] + issues + ["--offline", "--no-hooks"]).check()
        var options = APIServer.Options()
        options.host = host
        options.interval = 1
        server = try APIServer(workspace: try Workspace.locate(repo: fixture.repo, home: fixture.home), config: Config(), options: options)
    }

    /// The whole application (router and watcher service) under `app.test(.router)`; requests
    /// carry the token unless `anonymous`.
    func test<Value: Sendable>(anonymous: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let token = server.token
        return try await server.application().test(.router) { client in
            try await body(anonymous ? client : AuthorizedClient(base: client, token: token))
        }
    }

    /// The router alone, as `buildRouter()` returns it: no watcher, the view is built on demand.
    func testRouter<Value: Sendable>(anonymous: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let token = server.token
        return try await Application(router: server.buildRouter()).test(.router) { client in
            try await body(anonymous ? client : AuthorizedClient(base: client, token: token))
        }
    }

    func sessionFile(_ issue: Int) throws -> String {
        try String(contentsOfFile: fixture.home + "/sessions/work-\(issue).json", encoding: .utf8)
    }
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

/// A test client that sends the server's token with every request that has no credential.
struct AuthorizedClient: TestClientProtocol {
    let base: any TestClientProtocol
    let token: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil, headers[.cookie] == nil { headers[.authorization] = "Bearer " + token }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any], "\(text)")
    }

    /// The `error` object of the API's error shape, checked against the response's status.
    func apiError(sourceLocation: SourceLocation = #_sourceLocation) throws -> (kind: String, message: String) {
        let document = try object()
        #expect(document["version"] as? Int == 1, sourceLocation: sourceLocation)
        let error = try #require(document["error"] as? [String: Any], "\(text)", sourceLocation: sourceLocation)
        #expect(error["status"] as? Int == status.code, sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        return (try #require(error["kind"] as? String), try #require(error["message"] as? String))
    }
}

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

@Suite struct RouteTests {
    @Test func readEndpointsMatchTheCLI() async throws {
        let setup = try RouteFixture()
        let cli = try setup.fixture.ppds(["status", "--json"]).check().json()
        let cliIssues = (cli["sessions"] as? [[String: Any]])?.map { $0["issue"] as? String }
        try await setup.testRouter { client in
            let list = try await client.execute(uri: "/api/v1/sessions", method: .get)
            #expect(list.status == .ok)
            #expect(list.headers[.contentType] == "application/json")
            let document = try list.object()
            #expect(document["version"] as? Int == 1)
            #expect((document["sessions"] as? [[String: Any]])?.map { $0["issue"] as? String } == cliIssues)

            let one = try await client.execute(uri: "/api/v1/sessions/1", method: .get).object()
            let session = try #require(one["session"] as? [String: Any])
            #expect(session["issue"] as? String == "#1")
            #expect((session["git"] as? [String: Any])?["worktreeExists"] as? Bool == true)

            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<title>ppds"))
            #expect(!page.text.contains("https://"))  // nothing from a CDN
        }
    }

    /// `#1` is a valid issue form; in a path it is `%231`. The parameter is decoded once.
    @Test func issueInThePathIsPercentDecodedOnce() async throws {
        let setup = try RouteFixture()
        try await setup.testRouter { client in
            for path in ["1", "%231", "work-1", "work%2D1"] {
                let reply = try await client.execute(uri: "/api/v1/sessions/\(path)", method: .get)
                #expect(reply.status == .ok, "\(path): \(reply.text)")
                #expect((try reply.object()["session"] as? [String: Any])?["issue"] as? String == "#1", "\(path)")
            }
            let paused = try await client.execute(uri: "/api/v1/sessions/%232/pause", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(paused.status == .ok, "\(paused.text)")
            // Decoded once only: %2523 is "%23", not "#".
            for path in ["%25231", "%zz", "%23", "%230", "..%2F..%2Fetc", "%231%00", "1%20"] {
                let reply = try await client.execute(uri: "/api/v1/sessions/\(path)", method: .get)
                #expect(reply.status == .badRequest, "\(path): \(reply.status)")
                #expect(try reply.apiError().kind == "usage")
            }
        }
        #expect(try setup.sessionFile(2).contains("\"status\": \"paused\""))
    }

    @Test func writeEndpointsUseTheSameTransitions() async throws {
        let setup = try RouteFixture()
        try await setup.test { client in
            let stuck = try await client.execute(
                uri: "/api/v1/sessions/1/status", method: .post, headers: jsonHeaders,
                body: body(#"{"status":"stuck","reason":"Auth decision","context":"sliding or fixed?","options":["sliding","fixed"]}"#))
            #expect(stuck.status == .ok, "\(stuck.text)")
            #expect(try setup.fixture.ppds(["show", "1", "--json"]).check().stdout.contains("Auth decision"))
            let guided = try await client.execute(uri: "/api/v1/sessions/1/guidance", method: .post, headers: jsonHeaders,
                                                  body: body(#"{"message":"sliding"}"#))
            #expect(guided.status == .ok)
            // The view says the stuck session is answered, and not yet read.
            let listed = try await client.execute(uri: "/api/v1/sessions/1", method: .get)
            #expect(listed.text.contains("\"answer\""), "\(listed.text)")
            #expect(listed.text.contains("\"state\": \"unread\"") || listed.text.contains("\"state\":\"unread\""), "\(listed.text)")
            let paused = try await client.execute(uri: "/api/v1/sessions/1/pause", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(paused.status == .ok)
            // A paused session refuses worker updates, as in the CLI.
            let refused = try await client.execute(uri: "/api/v1/sessions/1/status", method: .post, headers: jsonHeaders,
                                                   body: body(#"{"status":"working"}"#))
            #expect(refused.status == .conflict)
            let error = try refused.apiError()
            #expect(error.kind == "conflict")
            #expect(error.message.contains("paused"))
            let resumed = try await client.execute(uri: "/api/v1/sessions/1/resume", method: .post,
                                                   headers: [.contentType: "application/json; charset=utf-8"])
            #expect(resumed.status == .ok, "\(resumed.text)")
        }
        let file = try setup.sessionFile(1)
        #expect(file.contains("\"status\": \"stuck\""))
        #expect(file.contains("\"message\": \"sliding\""))
    }

    @Test func refusalsHaveTheJSONErrorShape() async throws {
        let setup = try RouteFixture()
        let cases: [(HTTPRequest.Method, String, HTTPFields, String?, HTTPResponse.Status, String)] = [
            (.get, "/api/v1/sessions/abc", [:], nil, .badRequest, "usage"),
            (.get, "/api/v1/sessions/0", [:], nil, .badRequest, "usage"),
            (.get, "/api/v1/sessions/99", [:], nil, .notFound, "notFound"),
            (.post, "/api/v1/sessions/99/pause", jsonHeaders, "{}", .notFound, "notFound"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, #"{"status":"bogus"}"#, .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, #"{"status":"stuck"}"#, .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, #"{"status":"complete","pr":"javascript:alert(1)"}"#, .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, #"{"status":7}"#, .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, "not json", .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/status", jsonHeaders, "[1]", .badRequest, "usage"),
            (.post, "/api/v1/sessions/1/resume", jsonHeaders, "{}", .conflict, "conflict"),
            (.post, "/api/v1/sessions/1/pause", [.contentType: "text/plain"], "{}", .unsupportedMediaType, "unsupportedMediaType"),
            (.post, "/api/v1/sessions/1/pause", [:], "{}", .unsupportedMediaType, "unsupportedMediaType"),
            (.post, "/api/v1/sessions/1/pause", [.contentType: "application/jsonp"], "{}", .unsupportedMediaType, "unsupportedMediaType"),
            (.post, "/api/v1/sessions/1/pause", [.contentType: "application/json-patch+json"], "{}", .unsupportedMediaType, "unsupportedMediaType"),
            (.post, "/api/v1/sessions/1/pause", [.contentType: "application/json", .origin: "http://evil.example"], "{}", .forbidden, "forbidden"),
            (.post, "/api/v1/sessions/1/guidance", jsonHeaders, "{\"message\":\"" + String(repeating: "x", count: 70_000) + "\"}",
             .contentTooLarge, "tooLarge"),
            // Unmatched routes and methods: a 404 in the same shape, not an empty body.
            (.get, "/nope", [:], nil, .notFound, "notFound"),
            (.get, "/api/v1", [:], nil, .notFound, "notFound"),
            (.get, "/api/v1/sessions/1/pause", [:], nil, .notFound, "notFound"),
            (.post, "/api/v1/sessions/1/bogus", jsonHeaders, "{}", .notFound, "notFound"),
            (.delete, "/api/v1/sessions/1", jsonHeaders, nil, .notFound, "notFound"),
        ]
        try await setup.testRouter { client in
            for (method, path, headers, text, expected, kind) in cases {
                let reply = try await client.execute(uri: path, method: method, headers: headers, body: text.map(body))
                #expect(reply.status == expected, "\(method) \(path): \(reply.status) \(reply.text.prefix(200))")
                #expect(try reply.apiError().kind == kind, "\(method) \(path)")
            }
            let missing = try await client.execute(uri: "/nope", method: .get).apiError()
            #expect(missing.message == "no route for GET /nope")
        }
        // No refusal changed the session.
        #expect(try setup.sessionFile(1).contains("\"status\": \"registered\""))
    }

    /// A body without a length that grows past the limit is refused as too large.
    @Test func aStreamedBodyOverTheLimitIsTooLarge() async throws {
        let setup = try RouteFixture(issues: ["1"])
        let handlers = setup.server.handlers
        let chunks = AsyncStream<ByteBuffer> { continuation in
            for _ in 0..<20 { continuation.yield(ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)) }
            continuation.finish()
        }
        let request = Request(head: .init(method: .post, scheme: "http", authority: "localhost", path: "/api/v1/sessions/1/guidance",
                                          headerFields: jsonHeaders),
                              body: RequestBody(asyncSequence: chunks))
        await #expect(throws: APIError(.tooLarge, "the request body is over \(65536) bytes")) {
            _ = try await handlers.body(request)
        }
    }

    /// Loopback is no boundary between users: every bind needs the token, a new one per start,
    /// as a bearer header or the dashboard's cookie; `/?token=` trades it for the cookie.
    @Test(arguments: ["127.0.0.1", "0.0.0.0"])
    func everyBindNeedsTheToken(_ host: String) async throws {
        let setup = try RouteFixture(host: host)
        let tokenFile = setup.fixture.home + "/serve-token"
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: setup.fixture.home)[.posixPermissions] as? Int) == 0o700)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count == 64)
        #expect(token == setup.server.token)
        let cookie = "ppds_token_80"
        try await setup.test(anonymous: true) { client in
            for (path, headers) in [("/api/v1/sessions", [:]), ("/api/v1/sessions", [.authorization: "Bearer wrong"]),
                                    ("/", [:]), ("/api/v1/events", [:]), ("/nope", [:]), ("/dashboard.js", [:]),
                                    ("/api/v1/sessions?token=" + token, [:]),
                                    ("/api/v1/sessions", [.authorization: "Bearer " + String(token.dropLast())]),
                                    ("/api/v1/sessions", [.cookie: "\(cookie)=" + String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")]),
                                    ("/api/v1/sessions", [.cookie: "ppds_token_81=" + token]),
                                    ("/?token=" + String(token.dropLast()), [:])] as [(String, HTTPFields)] {
                let reply = try await client.execute(uri: path, method: .get, headers: headers)
                #expect(reply.status == .unauthorized, "\(path) \(headers)")
                #expect(try reply.apiError().kind == "unauthorized")
            }
            let pause = try await client.execute(uri: "/api/v1/sessions/2/pause", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(pause.status == .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/sessions", method: .get, headers: [.authorization: "Bearer " + token]).status == .ok)
            // The dashboard's URL: a cookie (HttpOnly, SameSite=Strict) and a redirect that drops the token.
            let exchange = try await client.execute(uri: "/?token=" + token, method: .get)
            #expect(exchange.status == .seeOther)
            #expect(exchange.headers[.location] == "/")
            #expect(exchange.headers[.setCookie] == "\(cookie)=\(token); Path=/; HttpOnly; SameSite=Strict")
            let withCookie: HTTPFields = [.cookie: "other=1; \(cookie)=\(token)"]
            #expect(try await client.execute(uri: "/", method: .get, headers: withCookie).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/sessions", method: .get, headers: withCookie).status == .ok)
            // A cookie write needs this server's Origin; another origin (another port of this
            // host is the same site) is refused.
            var write = withCookie
            write[.contentType] = "application/json"
            #expect(try await client.execute(uri: "/api/v1/sessions/2/pause", method: .post, headers: write, body: body("{}")).status == .forbidden)
            write[.origin] = "http://localhost"
            #expect(try await client.execute(uri: "/api/v1/sessions/2/pause", method: .post, headers: write, body: body("{}")).status == .ok)
            var foreign = withCookie
            foreign[FieldName("Sec-Fetch-Site")!] = "same-site"
            #expect(try await client.execute(uri: "/api/v1/sessions", method: .get, headers: foreign).status == .forbidden)
            let write2 = try await client.execute(uri: "/api/v1/sessions/2/resume", method: .post,
                                                  headers: [.authorization: "Bearer " + token, .contentType: "application/json"], body: body("{}"))
            #expect(write2.status == .ok)
        }
        // A new token next time; the running server takes the file's newest token too (a second
        // serve under the same home rotated it).
        let again = try APIServer(workspace: setup.server.workspace, config: Config(), options: setup.server.options)
        #expect(again.token != token)
        #expect(setup.server.security.accepts(again.token))
        #expect(setup.server.security.accepts(token))
        #expect(!again.security.accepts(token))
    }
}

/// `GET /api/v1/sessions` serves the watcher's snapshot: no git work per request, an ETag,
/// 304 for a matching `If-None-Match`, and still the latest state after a change.
@Suite struct SnapshotTests {
    @Test func listHasAnETagAndAnswers304() async throws {
        let setup = try RouteFixture()
        try await setup.test { client in
            let first = try await client.execute(uri: "/api/v1/sessions", method: .get)
            let etag = try #require(first.headers[.eTag])
            #expect(etag.hasPrefix("W/\""))
            #expect(first.headers[.cacheControl] == "no-cache")
            for match in [etag, String(etag.dropFirst(2)), "\"other\", " + etag, "*"] {
                let cached = try await client.execute(uri: "/api/v1/sessions", method: .get, headers: [.ifNoneMatch: match])
                #expect(cached.status == .notModified, "\(match)")
                #expect(cached.body.readableBytes == 0)
                #expect(cached.headers[.eTag] == etag)
            }
            let other = try await client.execute(uri: "/api/v1/sessions", method: .get, headers: [.ifNoneMatch: "W/\"0000\""])
            #expect(other.status == .ok)
            #expect(other.body == first.body)
            // A change gives another tag, and the old one no longer matches.
            let paused = try await client.execute(uri: "/api/v1/sessions/1/pause", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(paused.status == .ok)
            let changed = try await client.execute(uri: "/api/v1/sessions", method: .get, headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
        }
    }

    /// After a write through the API or through the CLI, the very next GET shows it.
    @Test func theNextGetAfterAChangeShowsIt() async throws {
        let setup = try RouteFixture()
        let fixture = setup.fixture
        try await setup.test { client in
            func status(_ issue: String) async throws -> String? {
                let document = try await client.execute(uri: "/api/v1/sessions", method: .get).object()
                let sessions = try #require(document["sessions"] as? [[String: Any]])
                return sessions.first { $0["issue"] as? String == issue }?["status"] as? String
            }
            #expect(try await status("#1") == "registered")
            let reply = try await client.execute(uri: "/api/v1/sessions/1/status", method: .post, headers: jsonHeaders,
                                                 body: body(#"{"status":"working"}"#))
            #expect(reply.status == .ok)
            #expect(try await status("#1") == "working")

            try fixture.ppds(["update", "2", "--status", "stuck", "--reason", "from the CLI"]).check()
            #expect(try await status("#2") == "stuck")
            try fixture.ppds(["update", "2", "--status", "working", "--force"]).check()
            #expect(try await status("#2") == "working")
            try fixture.ppds(["start-work", "3", "--offline", "--no-hooks"]).check()
            #expect(try await status("#3") == "registered")
        }
    }

    /// Requests share the snapshot: many GETs, one build; a noted change, one more.
    @Test func requestsDoNotRebuildTheView() async throws {
        let setup = try RouteFixture(issues: ["1"])
        let workspace = setup.server.workspace
        let builds = BuildCounter()
        let view = LiveView(hub: EventHub(), notifier: nil) {
            builds.count.withLock { $0 += 1 }
            return try StatusReport.build(workspace)
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = await view.current() } }
        }
        #expect(builds.count.withLock { $0 } == 1)
        for _ in 0..<100 { _ = await view.current() }
        #expect(builds.count.withLock { $0 } == 1)
        view.noteChange()
        _ = await view.current()
        #expect(builds.count.withLock { $0 } == 2)
        // Refreshes asked for together share builds: at most the running one and one more.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { await view.refresh() } }
        }
        #expect((3...4).contains(builds.count.withLock { $0 }))
    }
}

/// How many times the view was built, shared with the build closure.
final class BuildCounter: Sendable {
    let count = Mutex(0)
}
