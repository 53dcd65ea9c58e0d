import Foundation
import Hummingbird
import Config
import Lifecycle
import Support
import View
import ServiceLifecycle
import SessionKit
import LifecycleCore

/// The routes of `ppds serve`, behind the hardening, error and security middlewares (in that
/// order, so a refusal and an unmatched route also get the JSON error shape, and every
/// response the headers against framing).
func buildRouter(_ api: Handlers) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: HardeningMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: SecurityMiddleware(security: api.security))
    router.get("/") { _, _ in
        let snapshot = try? await api.view.current().get()
        return Dashboard.response(initial: snapshot.map { String(buffer: $0.body) })
    }
    router.get("/dashboard.js") { _, _ in Dashboard.file(Dashboard.script, type: "text/javascript; charset=utf-8") }
    router.get("/dashboard.css") { _, _ in Dashboard.file(Dashboard.styleSheet, type: "text/css; charset=utf-8") }
    router.get("/api/v1/sessions") { request, _ in try await api.list(request) }
    router.get("/api/v1/sessions/:issue") { _, context in try await api.show(try api.issue(context)) }
    for action in Handlers.Action.allCases {
        router.post("/api/v1/sessions/:issue/\(action.rawValue)") { request, context in
            let body = try await api.body(request)
            return try await api.change(try api.issue(context), action: action, body: body)
        }
    }
    router.get("/api/v1/sessions/:issue/plan") { _, context in try await api.plan(try api.issue(context)) }
    router.post("/api/v1/sessions/:issue/approve") { request, context in
        try await api.answerPlan(try api.issue(context), verdict: .approved, body: try await api.body(request))
    }
    router.post("/api/v1/sessions/:issue/revise") { request, context in
        try await api.answerPlan(try api.issue(context), verdict: .revise, body: try await api.body(request))
    }
    router.get("/api/v1/events") { request, _ in await api.events(request) }
    addForgeRoutes(router, api)
    addStartWorkRoute(router, api)
    return router
}

/// The route bodies.
struct Handlers: Sendable {
    let workspace: Workspace
    let security: Security
    let hub: EventHub
    let view: LiveView
    /// Largest accepted request body.
    let maxBody: Int
    /// How long reading a body may take, however it trickles in.
    var bodyTimeout: Duration = .seconds(10)

    enum Action: String, CaseIterable, Sendable {
        case status, guidance, pause, resume
    }

    /// The path's issue: percent-decoded once, then parsed (`1`, `%231` for `#1`, `work-1`).
    func issue(_ context: BasicRequestContext) throws(APIError) -> IssueNumber {
        let raw = context.parameters.get("issue") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        guard let issue = IssueNumber(parsing: text) else {
            throw APIError(.usage, "'\(text)' is not an issue number (a positive integer, #N or work-N)")
        }
        return issue
    }

    /// The request's JSON object (empty for an empty body).
    func body(_ request: Request) async throws(APIError) -> [String: JSONValue] {
        let tooLarge = APIError(.tooLarge, "the request body is over \(maxBody) bytes")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody { throw tooLarge }
        let buffer: ByteBuffer
        do {
            let maxBody = maxBody, bodyTimeout = bodyTimeout
            // Hummingbird's idle timeout closes a body that stalls; this one ends a body that
            // trickles in a byte at a time (hand-written: Hummingbird has no request timeout).
            let collected = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask {
                    var request = request
                    return try await request.collectBody(upTo: maxBody)
                }
                group.addTask {
                    try await Task.sleep(for: bodyTimeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let collected else {
                throw APIError(.timeout, "the request body took longer than \(bodyTimeout) to arrive")
            }
            buffer = collected
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // A body sent without a length that grew past the limit.
            throw tooLarge
        } catch {
            // The HTTP layer could not read the body: broken chunked framing, a connection
            // that ended early.
            throw APIError(.malformed, "the request body could not be read: \(error)")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = (try? JSONValue.parse(Data(buffer.readableBytesView)))?.objectValue else {
            throw APIError(.usage, "the body is not a JSON object")
        }
        return object
    }

    func json(_ object: OrderedJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: JSONWriter.write(object, pretty: false) + "\n")))
    }

    /// The whole view, from the live snapshot; `If-None-Match` with its ETag gives 304.
    func list(_ request: Request) async throws -> Response {
        let snapshot = try await view.current().get()
        var headers: HTTPFields = [.eTag: snapshot.etag, .cacheControl: "no-cache"]
        if Self.matches(request.headers[values: .ifNoneMatch], etag: snapshot.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: snapshot.body))
    }

    /// `If-None-Match` by weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag whose
    /// opaque part equals ours.
    static func matches(_ values: [String], etag: String) -> Bool {
        let ours = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for value in values {
            for tag in value.split(separator: ",") {
                let tag = tag.trimmingCharacters(in: .whitespaces)
                if tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == ours { return true }
            }
        }
        return false
    }

    func show(_ issue: IssueNumber) async throws -> Response {
        let workspace = workspace
        // The CLI's show: this machine's session, or another machine's synced copy.
        let shown = try await offload { () throws -> SessionShow in
            guard try workspace.store.loadIfPresent(issue) != nil || SessionChanges.mirrorCopy(issue, store: workspace.store, workspace: workspace) != nil else {
                throw APIError(.notFound, "no session for \(issue.tag)")
            }
            return try SessionShow.read(issue, store: workspace.store, workspace: workspace)
        }
        return json(shown.json)
    }

    /// The same validation and transitions as the CLI's update, guide, pause and resume. The
    /// live view is rebuilt before the answer, so the next GET shows the change.
    func change(_ issue: IssueNumber, action: Action, body: [String: JSONValue]) async throws -> Response {
        func text(_ key: String) throws(APIError) -> String? {
            guard let value = body[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw APIError(.usage, "'\(key)' must be a string") }
            return string
        }
        let change: SessionChange
        switch action {
        case .status where body["plan"] != nil:
            change = try planSubmission(body)
        case .status:
            guard let raw = try text("status") else { throw APIError(.usage, "'status' is required") }
            let options = try (body["options"]?.arrayValue ?? []).map { (item: JSONValue) throws(APIError) -> String in
                guard let text = item.stringValue else { throw APIError(.usage, "'options' must be a list of strings") }
                return text
            }
            change = try SessionChanges.update(status: raw, reason: try text("reason"), context: try text("context"), options: options,
                                               pr: try text("pr"), force: body["force"] == .bool(true))
        case .guidance:
            guard let message = try text("message"), !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError(.usage, "'message' is required")
            }
            change = .guide(message: message)
        case .pause: change = .pause
        case .resume: change = .resume
        }
        let store = workspace.store
        let workspace = workspace
        // A missing session is the store's own notFound, read under the session's lock: no
        // second read to race with.
        let session = try await offload { () throws -> Session in
            try SessionChanges.apply(change, to: issue, in: store, workspace: workspace)
        }
        await view.refresh()
        // With its answer state, so the page that sent guidance shows "not yet read" at once.
        return json(.document("session", SessionView.withAnswer(session).objectValue))
    }

    /// Server-sent events: what the client missed (or a snapshot), then every change, until
    /// the client leaves or the server shuts down gracefully.
    func events(_ request: Request) async -> Response {
        let lastID = request.headers.first(where: { $0.name.canonicalName == "last-event-id" }).flatMap { Int($0.value) }
            ?? request.uri.queryParameters.get("lastEventId").flatMap { Int($0) }
        let subscription = await hub.subscribe(lastEventID: lastID)
        let hub = hub
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    try await withGracefulShutdownHandler {
                        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                        for event in subscription.catchUp { try await writer.write(ByteBuffer(string: event.wire)) }
                        for await event in subscription.stream { try await writer.write(ByteBuffer(string: event.wire)) }
                    } onGracefulShutdown: {
                        subscription.end()
                    }
                } catch {
                    // The client went away.
                }
                await hub.unsubscribe(subscription.id)
                try? await writer.finish(nil)
            })
    }
}
