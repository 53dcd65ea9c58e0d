import ArgumentParser
import Foundation
import Lifecycle
import Support
import LifecycleCore
import Forge

/// `--pr-interval DUR` for `watch` and `serve`: refreshes shipped sessions' PR and CI state
/// (gh pr view) now and then every DUR, on a thread of its own, so no redraw or request ever
/// waits on the forge. The answers go to the forge cache, which every report reads.
struct PRIntervalOption: ParsableArguments {
    @Option(name: .customLong("pr-interval"),
            help: "Refresh shipped sessions' PR and CI state from the forge (gh) every DUR (default 5m; 0 turns it off).")
    var prInterval: DurationArgument?

    static let defaultSeconds: TimeInterval = 300

    func start(_ workspace: Workspace) {
        let seconds = prInterval?.seconds ?? Self.defaultSeconds
        guard seconds > 0 else { return }
        let thread = Thread {
            var lastProblem: String?
            while true {
                // Nothing shipped, or no gh: nothing to ask (and nothing to say every few minutes).
                if !PullRequestRefresh.shipped(workspace).isEmpty, ProcessRunner.find("gh") != nil {
                    let failed = PullRequestRefresh.run(workspace).filter { $0.outcome != .refreshed }
                    let problem = failed.first.map { "\($0.issue.tag): \($0.reason ?? $0.outcome.rawValue)" }
                    if let problem, problem != lastProblem { CLI.printError("warning: PR refresh: " + problem) }
                    lastProblem = problem
                }
                Thread.sleep(forTimeInterval: max(seconds, 1))
            }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
}
