import Foundation
import Config
import Lifecycle
import SessionKit
import Support
import View

/// One server-sent event.
public struct ServerEvent: Sendable, Equatable {
    public let id: Int
    /// `session`, `problem` or `snapshot`.
    public let name: String
    /// One line of JSON.
    public let data: String

    /// A keep-alive comment; lets the server notice clients that went away.
    static let heartbeat = ServerEvent(id: 0, name: "", data: "")

    var wire: String { name.isEmpty ? ": ping\n\n" : "id: \(id)\nevent: \(name)\ndata: \(data)\n\n" }
}

/// Turns successive status reports into events, keeps the recent ones for clients that
/// reconnect with `Last-Event-ID`, and fans them out to every connected client. One watcher
/// feeds it, however many clients there are.
public actor EventHub {
    public static let bufferSize = 1000

    private var buffer: [ServerEvent] = []
    private var nextID = 1
    private var sessions: [IssueNumber: String] = [:]
    private var problems: [String: JSONValue] = [:]
    private var latest: StatusReport?
    private var subscribers: [UUID: AsyncStream<ServerEvent>.Continuation] = [:]

    public init() {}

    /// Records the report and emits `session` (added, changed, removed) and `problem`
    /// (added, removed) events for what differs from the previous one.
    public func publish(_ report: StatusReport) {
        var current: [IssueNumber: String] = [:]
        var views: [IssueNumber: SessionView] = [:]
        for view in report.sessions {
            current[view.session.issue] = JSONWriter.write(view.json, pretty: false)
            views[view.session.issue] = view
        }
        let first = latest == nil
        latest = report
        if !first {
            for (issue, json) in current.sorted(by: { $0.key < $1.key }) where sessions[issue] != json {
                emit("session", change: sessions[issue] == nil ? "added" : "changed", issue: issue, payload: ("session", json))
            }
            for issue in sessions.keys.sorted() where current[issue] == nil {
                emit("session", change: "removed", issue: issue, payload: nil)
            }
        }
        sessions = current
        var currentProblems: [String: JSONValue] = [:]
        for problem in report.problems {
            let json = ProblemText.statusJSON(problem)
            currentProblems[JSONWriter.write(json, pretty: false)] = json
        }
        if !first {
            for key in currentProblems.keys.sorted() where problems[key] == nil {
                emit("problem", change: "added", issue: nil, payload: ("problem", key))
            }
            for key in problems.keys.sorted() where currentProblems[key] == nil {
                emit("problem", change: "removed", issue: nil, payload: ("problem", key))
            }
        }
        problems = currentProblems
    }

    private func emit(_ name: String, change: String, issue: IssueNumber?, payload: (String, String)?) {
        var parts = ["\"change\":\"\(change)\""]
        if let issue { parts.append("\"issue\":\"\(issue.tag)\"") }
        if let (key, json) = payload { parts.append("\"\(key)\":\(json)") }
        let event = ServerEvent(id: nextID, name: name, data: "{" + parts.joined(separator: ",") + "}")
        nextID += 1
        buffer.append(event)
        if buffer.count > Self.bufferSize { buffer.removeFirst(buffer.count - Self.bufferSize) }
        for continuation in subscribers.values { continuation.yield(event) }
    }

    /// One client's stream: what it gets first, then every event until `end()` or
    /// `unsubscribe`.
    public struct Subscription: Sendable {
        public let id: UUID
        public let catchUp: [ServerEvent]
        public let stream: AsyncStream<ServerEvent>
        let continuation: AsyncStream<ServerEvent>.Continuation

        /// Ends the stream from any thread (graceful shutdown); the client's loop then finishes.
        public func end() { continuation.finish() }
    }

    /// What a new client gets first: the events after `lastEventID` when they are all still
    /// buffered, otherwise a full snapshot.
    public func subscribe(lastEventID: Int?) -> Subscription {
        let id = UUID()
        let (stream, continuation) = AsyncStream<ServerEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferSize))
        subscribers[id] = continuation
        let oldest = buffer.first?.id ?? nextID
        if let lastEventID, lastEventID < nextID, lastEventID >= oldest - 1 {
            return Subscription(id: id, catchUp: buffer.filter { $0.id > lastEventID }, stream: stream, continuation: continuation)
        }
        return Subscription(id: id, catchUp: [snapshot()], stream: stream, continuation: continuation)
    }

    public func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)?.finish()
    }

    /// The whole view as one event, numbered with the last id sent.
    public func snapshot() -> ServerEvent {
        let data = latest.map { JSONWriter.write($0.json, pretty: false) } ?? "{\"version\":1,\"sessions\":[],\"problems\":[]}"
        return ServerEvent(id: nextID - 1, name: "snapshot", data: data)
    }

    /// Sends a keep-alive comment to every client.
    public func heartbeat() {
        for continuation in subscribers.values { continuation.yield(.heartbeat) }
    }

    /// Ends every stream (server shutdown).
    public func finishAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }
}
