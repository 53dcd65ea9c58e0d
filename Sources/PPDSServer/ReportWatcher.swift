import Foundation
import Synchronization
import Logging
import Config
import Lifecycle
import Support
import View
import ServiceLifecycle

/// The one watcher, a `Service` of the application: it waits for session-file or ref changes
/// (the same `ChangeWatcher` as `ppds watch`) and has the live view rebuilt, which feeds the
/// event hub and the notifier. No change within `interval` is the polling fallback: what
/// inotify cannot see (a worktree folder deleted, a branch merged elsewhere) shows up within
/// one interval, and event-stream clients get a keep-alive.
///
/// The blocking waits run on a thread of their own, in slices of at most `slice` seconds, so
/// the service ends promptly on graceful shutdown or cancellation.
struct ReportWatcher: Service, CustomStringConvertible {
    let view: LiveView
    let hub: EventHub
    let gitDir: String
    let sessionsDir: String
    let interval: TimeInterval
    let logger: Logger
    var settle: TimeInterval = 0.05
    var slice: TimeInterval = 0.2

    var description: String { "ReportWatcher" }

    func run() async throws {
        let stop = Mutex(false)
        // Only the latest signal matters: a rebuild covers every change before it.
        let (signals, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        let thread = Thread { [view, gitDir, sessionsDir, interval, settle, slice] in
            let watcher = ChangeWatcher { ChangeWatcher.folders(gitDir: gitDir, sessionsDir: sessionsDir) }
            var waited: TimeInterval = 0
            while !stop.withLock({ $0 }) {
                let step = max(0.01, min(slice, interval - waited))
                if watcher.wait(timeout: step, settle: 0) {
                    // Requests from now on wait for a rebuild. A burst counts as one change
                    // once it has been quiet for `settle` (or after a second of it).
                    view.noteChange()
                    let burst = Date()
                    while Date().timeIntervalSince(burst) < 1, watcher.wait(timeout: settle, settle: 0) { view.noteChange() }
                    continuation.yield(true)
                    waited = 0
                } else {
                    waited += step
                    if waited >= interval {
                        continuation.yield(false)
                        waited = 0
                    }
                }
            }
            continuation.finish()
        }
        thread.name = "ppds-watcher"
        thread.start()
        defer { stop.withLock { $0 = true } }
        logger.debug("watching for changes", metadata: ["sessions": "\(sessionsDir)", "git": "\(gitDir)"])
        for await changed in signals.cancelOnGracefulShutdown() {
            await view.refresh()
            if !changed { await hub.heartbeat() }
        }
    }
}
