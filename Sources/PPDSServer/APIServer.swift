import Foundation
import Hummingbird
import Config
import Lifecycle
import SessionKit
import Support
import View

/// `ppds serve`: the session registry over HTTP. Session files stay the source of truth:
/// writes go through the same `SessionChanges` as the CLI, and one watcher turns file and
/// ref changes (from the API or a terminal) into events.
public struct APIServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 3847
        public var notify = false
        public var interval: TimeInterval = 5
        public var status = StatusReport.Options()
        /// Largest accepted request body.
        public var maxBody = 64 * 1024

        public init() {}
    }

    public let workspace: Workspace
    public let config: Config
    public let options: Options

    public init(workspace: Workspace, config: Config, options: Options) {
        self.workspace = workspace
        self.config = config
        self.options = options
    }

    /// Runs until SIGINT or SIGTERM. `onListening` gets the URL once the socket is bound.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let loopback = Security.isLoopback(options.host)
        let security = Security(token: loopback ? nil : try Security.token(home: workspace.store.home), loopback: loopback)
        let hub = EventHub()
        let notifier = options.notify ? Notifier(config: config, home: workspace.store.home, desktop: true) : nil
        let watcher = ReportWatcher(workspace: workspace, options: options.status, hub: hub, notifier: notifier, interval: options.interval)
        try watcher.start()
        defer { watcher.stop() }

        let router = Router(context: BasicRequestContext.self)
        let api = Handlers(workspace: workspace, options: options, security: security, hub: hub)
        router.get("/") { request, _ in api.guarded(request, write: false) { Dashboard.response() } }
        router.get("/api/v1/sessions") { request, _ in await api.guardedAsync(request, write: false) { try await api.list() } }
        router.get("/api/v1/sessions/:issue") { request, context in
            await api.guardedAsync(request, write: false) { try await api.show(try api.issue(context)) }
        }
        for action in ["status", "guidance", "pause", "resume"] {
            router.post("/api/v1/sessions/:issue/\(action)") { request, context in
                await api.guardedAsync(request, write: true) {
                    var request = request
                    let body = try await api.body(&request)
                    return try await api.change(try api.issue(context), action: action, body: body)
                }
            }
        }
        router.get("/api/v1/events") { request, _ in await api.guardedAsync(request, write: false) { await api.events(request) } }

        let host = options.host
        // Hummingbird logs each start at info level; ppds prints its own line.
        if ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil { setenv("LOG_LEVEL", "warning", 1) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: options.port), serverName: "ppds"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                onListening("http://\(shown):\(port)")
            }
        )
        try await app.runService()
        await hub.finishAll()
    }
}

/// The route bodies.
struct Handlers: Sendable {
    let workspace: Workspace
    let options: APIServer.Options
    let security: Security
    let hub: EventHub

    func guarded(_ request: Request, write: Bool, _ body: () -> Response) -> Response {
        if let refusal = security.check(request, write: write) { return refusal.response }
        return body()
    }

    func guardedAsync(_ request: Request, write: Bool, _ body: () async throws -> Response) async -> Response {
        if let refusal = security.check(request, write: write) { return refusal.response }
        do {
            return try await body()
        } catch let error as APIError {
            return error.response
        } catch let error as PPDSError {
            return APIError.from(error).response
        } catch {
            return APIError(status: .internalServerError, kind: "failed", message: "\(error)").response
        }
    }

    func issue(_ context: BasicRequestContext) throws -> IssueNumber {
        let text = context.parameters.get("issue") ?? ""
        guard let issue = IssueNumber(parsing: text) else {
            throw APIError(status: .badRequest, kind: "usage", message: "'\(text)' is not an issue number (a positive integer, #N or work-N)")
        }
        return issue
    }

    func body(_ request: inout Request) async throws -> [String: JSONValue] {
        let tooLarge = APIError(status: .contentTooLarge, kind: "tooLarge", message: "the request body is over \(options.maxBody) bytes")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBody { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: options.maxBody)
        } catch {
            // NIO's "too many bytes" for a body sent without a length.
            if String(describing: type(of: error)).contains("TooManyBytes") { throw tooLarge }
            throw error
        }
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = (try? JSONValue.parse(Data(buffer.readableBytesView)))?.objectValue else {
            throw APIError(status: .badRequest, kind: "usage", message: "the body is not a JSON object")
        }
        return object
    }

    func json(_ object: OrderedJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: JSONWriter.write(object, pretty: false) + "\n")))
    }

    func list() async throws -> Response {
        let workspace = workspace, status = options.status
        let report = try await offload { try StatusReport.build(workspace, options: status) }
        return json(report.json)
    }

    func show(_ issue: IssueNumber) async throws -> Response {
        let workspace = workspace
        let view = try await offload { () throws -> SessionView in
            guard let session = try workspace.store.loadIfPresent(issue) else {
                throw APIError(status: .notFound, kind: "notFound", message: "no session for \(issue.tag)")
            }
            let git = try GitFactReader(repository: try workspace.openRepository()).state(of: session, includeDirty: true)
            return SessionView(session: session, git: git)
        }
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["session"] = view.json
        return json(out)
    }

    /// The same validation and transitions as the CLI's update, guide, pause and resume.
    func change(_ issue: IssueNumber, action: String, body: [String: JSONValue]) async throws -> Response {
        func text(_ key: String) throws -> String? {
            guard let value = body[key], !value.isNull else { return nil }
            guard let string = value.stringValue else {
                throw APIError(status: .badRequest, kind: "usage", message: "'\(key)' must be a string")
            }
            return string
        }
        let change: SessionChange
        switch action {
        case "status":
            guard let raw = try text("status") else { throw APIError(status: .badRequest, kind: "usage", message: "'status' is required") }
            guard let status = SessionStatus(userValue: raw) else {
                throw APIError(status: .badRequest, kind: "usage", message: "unknown status '\(raw)'; use one of: \(SessionStatus.canonical.map(\.fileValue).joined(separator: ", "))")
            }
            let reason = try text("reason")
            if status == .stuck, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw APIError(status: .badRequest, kind: "usage", message: "status 'stuck' needs a 'reason'")
            }
            let options = (body["options"]?.arrayValue ?? []).compactMap(\.stringValue)
            let pr = try text("pr")
            if let pr { try SessionChanges.validatePRURL(pr) }
            let force = body["force"] == .bool(true)
            let stuck = status == .stuck ? StuckRequest(reason: reason ?? "", context: try text("context"), options: options) : nil
            change = .update(status: status, stuck: stuck, pr: pr, force: force)
        case "guidance":
            guard let message = try text("message"), !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError(status: .badRequest, kind: "usage", message: "'message' is required")
            }
            change = .guide(message: message)
        case "pause": change = .pause
        default: change = .resume
        }
        let store = workspace.store
        let session = try await offload { () throws -> Session in
            guard try store.loadIfPresent(issue) != nil else {
                throw APIError(status: .notFound, kind: "notFound", message: "no session for \(issue.tag)")
            }
            return try SessionChanges.apply(change, to: issue, in: store)
        }
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["session"] = session.json.objectValue
        return json(out)
    }

    /// Server-sent events: what the client missed (or a snapshot), then every change.
    func events(_ request: Request) async -> Response {
        let lastID = request.headers.first(where: { $0.name.canonicalName == "last-event-id" }).flatMap { Int($0.value) }
            ?? request.uri.queryParameters.get("lastEventId").flatMap { Int($0) }
        let (catchUp, stream, id) = await hub.subscribe(lastEventID: lastID)
        let hub = hub
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                    for event in catchUp { try await writer.write(ByteBuffer(string: event.wire)) }
                    for await event in stream { try await writer.write(ByteBuffer(string: event.wire)) }
                } catch {
                    // The client went away.
                }
                await hub.unsubscribe(id)
                try? await writer.finish(nil)
            })
    }
}

/// Runs blocking work (libgit2, file locks) off the server's event loops.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
