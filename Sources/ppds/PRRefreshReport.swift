import Foundation
import Lifecycle
import Support
import Forge

/// What a PR refresh could not do, on stderr: the report itself shows the states.
enum PRRefreshReport {
    static func say(_ results: [PullRequestRefreshResult]) {
        let failed = results.filter { $0.outcome != .refreshed }
        // One line for the common case: the forge is not reachable at all.
        if !failed.isEmpty, failed.count == results.count, let reason = failed.first?.reason,
           failed.allSatisfy({ $0.outcome == .unreachable && $0.reason == reason }) {
            CLI.printError("warning: the forge could not be asked about \(failed.count) PR\(failed.count == 1 ? "" : "s") (\(reason)); showing the last known state")
            return
        }
        for result in failed {
            CLI.printError("warning: \(result.issue.tag): \(result.outcome == .missing ? "gh finds no such pull request" : "the forge could not be asked") (\(result.reason ?? "no reason given")); showing the last known state")
        }
    }
}
