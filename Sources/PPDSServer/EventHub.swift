import Foundation
import GitKit
import PPDSCore
import SessionKit

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
            currentProblems[JSONWriter.write(problem.json, pretty: false)] = problem.json
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

    /// What a new client gets first: the events after `lastEventID` when they are all still
    /// buffered, otherwise a full snapshot.
    public func subscribe(lastEventID: Int?) -> (catchUp: [ServerEvent], stream: AsyncStream<ServerEvent>, id: UUID) {
        let id = UUID()
        var continuation: AsyncStream<ServerEvent>.Continuation!
        let stream = AsyncStream<ServerEvent>(bufferingPolicy: .bufferingNewest(Self.bufferSize)) { continuation = $0 }
        subscribers[id] = continuation
        let oldest = buffer.first?.id ?? nextID
        if let lastEventID, lastEventID < nextID, lastEventID >= oldest - 1 {
            return (buffer.filter { $0.id > lastEventID }, stream, id)
        }
        return ([snapshot()], stream, id)
    }

    public func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)?.finish()
    }

    /// The whole view as one event, numbered with the last id sent.
    public func snapshot() -> ServerEvent {
        let data = latest.map { JSONWriter.write($0.json, pretty: false) } ?? "{\"version\":1,\"sessions\":[],\"problems\":[]}"
        return ServerEvent(id: nextID - 1, name: "snapshot", data: data)
    }

    public var subscriberCount: Int { subscribers.count }

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

/// The one watcher: a thread that waits for session-file or ref changes (the same
/// `ChangeWatcher` as `ppds watch`), rebuilds the view and hands it to the hub and notifier.
final class ReportWatcher: @unchecked Sendable {
    private let workspace: Workspace
    private let options: StatusReport.Options
    private let hub: EventHub
    private let notifier: Notifier?
    private let interval: TimeInterval
    private let stopLock = NSLock()
    private var stopped = false

    init(workspace: Workspace, options: StatusReport.Options, hub: EventHub, notifier: Notifier?, interval: TimeInterval) {
        self.workspace = workspace
        self.options = options
        self.hub = hub
        self.notifier = notifier
        self.interval = interval
    }

    func start() throws(PPDSError) {
        let gitDir = try workspace.openRepository().commonDir
        try? FileManager.default.createDirectory(atPath: workspace.store.sessionsDir, withIntermediateDirectories: true)
        // The first report is the baseline, published before the server answers.
        publish()
        let sessionsDir = workspace.store.sessionsDir
        Thread.detachNewThread { [self] in
            let watcher = ChangeWatcher { ChangeWatcher.folders(gitDir: gitDir, sessionsDir: sessionsDir) }
            while !isStopped {
                let changed = watcher.wait(timeout: interval, settle: 0.05)
                if isStopped { break }
                // A timeout is the polling fallback: what inotify cannot see (a worktree folder
                // deleted, a branch merged elsewhere) shows up within one interval.
                publish()
                if !changed { beat() }
            }
        }
    }

    func stop() {
        stopLock.lock(); stopped = true; stopLock.unlock()
    }

    private var isStopped: Bool {
        stopLock.lock(); defer { stopLock.unlock() }
        return stopped
    }

    private func beat() {
        let hub = hub
        Task { await hub.heartbeat() }
    }

    private func publish() {
        guard let report = try? StatusReport.build(workspace, options: options) else { return }
        notifier?.observe(report)
        let hub = hub
        let done = DispatchSemaphore(value: 0)
        Task {
            await hub.publish(report)
            done.signal()
        }
        done.wait()
    }
}
