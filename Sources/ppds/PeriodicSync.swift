import ArgumentParser
import Foundation
import Lifecycle
import Support
import LifecycleCore

/// `--sync-interval DUR` for `wait`, `watch` and `serve`: runs `ppds sync` now and then every
/// DUR on a thread of its own. What it brings is written to the session files, which those
/// commands already watch, so guidance from another machine wakes a waiting worker.
struct SyncIntervalOption: ParsableArguments {
    @Option(name: .customLong("sync-interval"),
            help: "Also sync the registry with other machines every DUR (30s, 5m), through --sync-remote or registry.remote.")
    var syncInterval: DurationArgument?
    @Option(name: .customLong("sync-remote"), help: "The git remote for --sync-interval. Default: registry.remote, else origin.")
    var syncRemote: String?

    /// Starts the periodic sync when asked; failures are warnings on stderr, once per message.
    func start(repo: RepoOption) {
        guard let seconds = syncInterval?.seconds, seconds > 0 else { return }
        let remote = syncRemote
        let thread = Thread {
            var lastProblem: String?
            while true {
                do {
                    _ = try SyncCommand.sync(repo: repo, remote: remote)
                    lastProblem = nil
                } catch {
                    let message = PPDSError.from(error).message
                    if message != lastProblem { CLI.printError("warning: periodic sync: " + message) }
                    lastProblem = message
                }
                Thread.sleep(forTimeInterval: max(seconds, 1))
            }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
}
