import Foundation
import Config
import Lifecycle
import SessionKit
import Support
import View

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
