import Foundation
import Synchronization
import Config
import GitKit
import Lifecycle
import SessionKit
import Support

/// Desktop notifications and `hooks.on_stuck` / `hooks.on_complete` when a session becomes
/// stuck (with its reason) or complete (with its PR). Fed successive status reports.
public final class Notifier: Sendable {
    public struct Event: Sendable, Equatable {
        public enum Kind: String, Sendable { case stuck, complete }
        public let kind: Kind
        public let issue: IssueNumber
        public let title: String
        public let body: String
    }

    private let config: Config
    private let home: String
    private let desktop: Bool
    /// The statuses of the last report seen: the baseline for the next.
    private let previous = Mutex<[IssueNumber: Mark]?>(nil)

    /// What counts as a change: the status, or a new question while still stuck.
    private struct Mark: Equatable {
        let status: SessionStatus
        let stuckSince: Date?
    }

    /// `desktop` sends notify-send notifications (when it is on PATH); hooks run either way.
    public init(config: Config, home: String, desktop: Bool) {
        self.config = config
        self.home = home
        self.desktop = desktop
    }

    /// Compares with the last report and fires what changed. The first report only sets the baseline.
    @discardableResult
    public func observe(_ report: StatusReport) -> [Event] {
        let current = Dictionary(report.sessions.map { ($0.session.issue, Mark(status: $0.session.status, stuckSince: $0.session.stuck?.since)) },
                                 uniquingKeysWith: { a, _ in a })
        let before = previous.withLock { previous in
            defer { previous = current }
            return previous
        }
        guard let before else { return [] }
        var events: [Event] = []
        for view in report.sessions {
            let session = view.session
            guard before[session.issue] != current[session.issue] else { continue }
            if session.status == .stuck {
                events.append(Event(kind: .stuck, issue: session.issue, title: "ppds: \(session.issue.tag) is stuck",
                                    body: Notifier.stuckBody(session.stuck)))
            } else if session.status == .complete {
                events.append(Event(kind: .complete, issue: session.issue, title: "ppds: \(session.issue.tag) PR ready",
                                    body: session.pr ?? session.branch))
            }
        }
        for event in events {
            fire(event, session: report.sessions.first { $0.session.issue == event.issue }!.session)
        }
        return events
    }

    /// The reason, then the options numbered as `ppds guide` and `ppds next` take them.
    public static func stuckBody(_ stuck: StuckContext?) -> String {
        guard let stuck else { return "needs input" }
        let options = stuck.options.enumerated().map { "\($0.offset + 1)) \($0.element)" }
        return options.isEmpty ? stuck.reason : stuck.reason + "\nOptions: " + options.joined(separator: "  ")
    }

    private func fire(_ event: Event, session: Session) {
        if desktop, ProcessRunner.find("notify-send") != nil {
            // The body is a stuck reason or a PR URL that anyone may have written: escaped like
            // terminal text, and after "--" so one starting with "-" is not read as an option.
            _ = try? ProcessRunner.run(["notify-send", "--app-name=ppds", "--", TerminalText.escaped(event.title),
                                        TerminalText.escaped(event.body)], timeout: 10)
        }
        let key = event.kind == .stuck ? "hooks.on_stuck" : "hooks.on_complete"
        let commands = event.kind == .stuck ? config.onStuck : config.onComplete
        guard config.mayRun(key) else { return }
        var env = Hooks.environment(for: session)
        env["PPDS_EVENT"] = event.kind.rawValue
        if let reason = session.stuck?.reason { env["PPDS_REASON"] = reason }
        if let pr = session.pr { env["PPDS_PR"] = pr }
        for command in commands {
            _ = try? ProcessRunner.run(Hooks.argv(command, for: session), in: session.repo, environment: env, timeout: 60)
        }
    }
}
