import Foundation
import Synchronization
import Hummingbird
import NIOPosix
import Config
import Lifecycle
import Support
import View
import SessionKit
import LifecycleCore

/// The view `GET /api/v1/sessions` serves: the latest `StatusReport`, encoded once, with its
/// ETag. One refresh at a time rebuilds it (libgit2 off the event loops) and hands the report
/// to the event hub and the notifier, so the hub's events, the notifications and the served
/// list all come from the same reports, in order.
///
/// Freshness: a GET first asks its own inotify instance (`probe`, the folders the watcher
/// watches) whether anything changed, a poll(2) that does not wait; the watcher also calls
/// `noteChange()` for each change it sees. A GET that finds a change newer than the snapshot
/// waits for a rebuild, so once a CLI command has written its file the next GET shows it. A
/// write through the API refreshes before it answers. What inotify cannot see (a worktree
/// folder removed) shows up within one polling interval, as in the events.
final class LiveView: Sendable {
    /// One encoded view.
    struct Snapshot: Sendable {
        let report: StatusReport
        /// The body of `GET /api/v1/sessions`.
        let body: ByteBuffer
        /// A weak validator of the sessions and problems (not of `generatedAt`, which changes
        /// with every rebuild).
        let etag: String
    }

    private let build: @Sendable () throws -> StatusReport
    private let hub: EventHub
    private let notifier: Notifier?
    private let state = Mutex(State())
    private let refresher: Refresher
    /// Pending file and ref changes, checked without waiting on each GET.
    /// nil when inotify is not available (then the watcher's polling keeps the view fresh).
    private let probe: Mutex<ChangeWatcher?>
    /// Hooks and desktop notifications run here, in report order, without holding up a request.
    private let notifications = DispatchQueue(label: "ppds.serve.notifications")

    private struct State {
        /// The last build's outcome; nil before the first.
        var latest: Result<Snapshot, APIError>?
        /// The change count when the last build started.
        var builtAfter = -1
        /// Changes the watcher has seen.
        var changes = 0

        var fresh: Result<Snapshot, APIError>? { builtAfter >= changes ? latest : nil }
    }

    /// `folders` are the folders to probe for changes (see `ChangeWatcher`); none, no probe.
    init(hub: EventHub, notifier: Notifier?, folders: (@Sendable () -> [String])? = nil,
         build: @escaping @Sendable () throws -> StatusReport) {
        self.build = build
        self.hub = hub
        self.notifier = notifier
        self.refresher = Refresher()
        let probe = folders.map { ChangeWatcher(folders: $0) }
        self.probe = Mutex(probe.flatMap { $0.isNotifying ? $0 : nil })
    }

    convenience init(workspace: Workspace, options: StatusReport.Options, hub: EventHub, notifier: Notifier?,
                     folders: (@Sendable () -> [String])?) {
        self.init(hub: hub, notifier: notifier, folders: folders) { try StatusReport.build(workspace, options: options) }
    }

    /// Called by the watcher as soon as it sees a change; later GETs wait for a rebuild.
    func noteChange() {
        state.withLock { $0.changes += 1 }
    }

    /// The snapshot, rebuilt first when a change came after it (or there is none yet). A
    /// build already running is joined; it is enough when it started after the change.
    func current() async -> Result<Snapshot, APIError> {
        if probe.withLock({ $0?.wait(timeout: 0, settle: 0) ?? false }) { noteChange() }
        for _ in 0..<3 {
            if let fresh = state.withLock({ $0.fresh }) { return fresh }
            await refresher.join { await self.rebuild() }
        }
        if let fresh = state.withLock({ $0.fresh }) { return fresh }
        await refresh()
        return state.withLock { $0.latest }!
    }

    /// Rebuilds the view; returns once a rebuild that started after this call has finished.
    /// Concurrent callers share rebuilds.
    func refresh() async {
        await refresher.refresh { await self.rebuild() }
    }

    private func rebuild() async {
        let changes = state.withLock { $0.changes }
        do {
            let report = try await offload(build)
            let snapshot = Self.encode(report)
            state.withLock {
                // Nothing changed (the same tag): the body a client holds stays byte for byte the
                // same, its `generatedAt` the time of the last change, not of the last look.
                if case .success(let current)? = $0.latest, current.etag == snapshot.etag {} else { $0.latest = .success(snapshot) }
                $0.builtAfter = changes
            }
            if let notifier { notifications.async { _ = notifier.observe(report) } }
            await hub.publish(report)
        } catch {
            state.withLock {
                $0.latest = .failure(APIError.from(error))
                $0.builtAfter = changes
            }
        }
    }

    static func encode(_ report: StatusReport) -> Snapshot {
        var content = OrderedJSON()
        content["sessions"] = .array(report.sessions.map(\.json))
        content["problems"] = .array(report.problems.map(ProblemText.statusJSON))
        let body = JSONWriter.write(report.json, pretty: false) + "\n"
        let etag = "W/\"\(fnv1a(JSONWriter.write(content, pretty: false)))\""
        return Snapshot(report: report, body: ByteBuffer(string: body), etag: etag)
    }

    /// FNV-1a, 64 bits, as 16 hex digits.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Runs one job at a time; a caller waits for a run that started after it asked, and callers
/// that ask while a run is going share the next one.
actor Refresher {
    private var requested = 0
    private var completed = 0
    /// The ticket the running job will complete; nil when none runs.
    private var running: Int?
    private var waiters: [(ticket: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Waits for a run that starts after this call.
    func refresh(_ job: @escaping @Sendable () async -> Void) async {
        requested += 1
        await wait(for: requested, job)
    }

    /// Waits for the run in progress, or for a new one when none runs.
    func join(_ job: @escaping @Sendable () async -> Void) async {
        if let running { await wait(for: running, job) } else { await refresh(job) }
    }

    private func wait(for ticket: Int, _ job: @escaping @Sendable () async -> Void) async {
        if running == nil {
            running = requested
            Task { await self.drain(job) }
        }
        await withCheckedContinuation { waiters.append((ticket, $0)) }
    }

    private func drain(_ job: @Sendable () async -> Void) async {
        while completed < requested {
            let target = requested
            running = target
            await job()
            completed = target
            let ready = waiters.filter { $0.ticket <= target }
            waiters.removeAll { $0.ticket <= target }
            for waiter in ready { waiter.continuation.resume() }
        }
        running = nil
    }
}

/// Runs blocking work (libgit2, file locks) off the server's event loops and Swift's
/// cooperative threads, on NIO's pool for blocking work (bounded; what Hummingbird's file I/O uses).
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
