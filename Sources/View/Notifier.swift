import Foundation
import Synchronization
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import Agents

/// Notices when a session becomes stuck (with its reason) or complete (with its PR), or when a
/// plan waits for review (its version and first line), and words it; `NotificationDelivery`
/// sends the desktop notification and runs `hooks.on_stuck` / `hooks.on_complete`. Fed
/// successive status reports.
public final class Notifier: Sendable {
    public struct Event: Sendable, Equatable {
        public enum Kind: String, Sendable { case stuck, complete, planReady, agentEnded }
        public let kind: Kind
        public let issue: IssueNumber
        public let title: String
        public let body: String
    }

    /// Runs notify-send and the hooks (Lifecycle's): this type only sees changes and words them.
    private let delivery: NotificationDelivery
    /// The statuses of the last report seen: the baseline for the next.
    private let previous = Mutex<[IssueNumber: Mark]?>(nil)
    /// The sessions whose agent had ended (while working or planning) in the last report: each end notifies once.
    private let previousEnded = Mutex<Set<IssueNumber>>([])

    /// What counts as a change: the status, or a new question while still stuck.
    private struct Mark: Equatable {
        let status: SessionStatus
        let stuckSince: Date?
        let planVersion: Int?
    }

    /// `desktop` sends notify-send notifications (when it is on PATH); hooks run either way.
    public init(config: Config, home: String, desktop: Bool) {
        delivery = NotificationDelivery(config: config, desktop: desktop)
    }

    /// Compares with the last report and fires what changed. The first report only sets the baseline.
    @discardableResult
    public func observe(_ report: StatusReport) -> [Event] {
        let current = Dictionary(report.sessions.map { ($0.session.issue, Mark(status: $0.session.status, stuckSince: $0.session.stuck?.since,
                                                                              planVersion: $0.session.latestPlan?.version)) },
                                 uniquingKeysWith: { a, _ in a })
        let before = previous.withLock { previous in
            defer { previous = current }
            return previous
        }
        var ended: [IssueNumber: Problem.AgentEnd] = [:]
        for case .agentEnded(let ref, _, let end) in report.problems { ended[ref.issue] = end }
        let endedBefore = previousEnded.withLock { previous in
            defer { previous = Set(ended.keys) }
            return previous
        }
        guard let before else { return [] }
        var events: [Event] = []
        for view in report.sessions {
            guard let end = ended[view.session.issue], !endedBefore.contains(view.session.issue) else { continue }
            events.append(Event(kind: .agentEnded, issue: view.session.issue, title: "ppds: \(view.session.issue.tag) agent ended",
                                body: AgentText.ended(end) + " while " + TerminalText.escaped(view.session.status.fileValue)))
        }
        for view in report.sessions {
            let session = view.session
            guard before[session.issue] != current[session.issue] else { continue }
            if session.status == .stuck {
                events.append(Event(kind: .stuck, issue: session.issue, title: "ppds: \(session.issue.tag) is stuck",
                                    body: Notifier.stuckBody(session.stuck)))
            } else if session.status == .complete {
                events.append(Event(kind: .complete, issue: session.issue, title: "ppds: \(session.issue.tag) PR ready",
                                    body: TerminalText.escaped(session.pr ?? session.branch)))
            } else if let plan = session.planSummary, plan.state == .waiting {
                events.append(Event(kind: .planReady, issue: session.issue, title: "ppds: \(session.issue.tag) plan ready for review",
                                    body: "plan v\(plan.version): " + TerminalText.escaped(plan.firstLine)))
            }
        }
        for event in events {
            fire(event, session: report.sessions.first { $0.session.issue == event.issue }!.session)
        }
        return events
    }

    /// The reason, then on a line of its own the options numbered as `ppds guide` and `ppds
    /// next` take them. Each field is escaped here (anyone may have written it), so the one line
    /// break is the only one and survives to the notification.
    public static func stuckBody(_ stuck: StuckContext?) -> String {
        guard let stuck else { return "needs input" }
        let safe = { (text: String) in TerminalText.escaped(text) }
        let options = stuck.options.enumerated().map { "\($0.offset + 1)) \(safe($0.element))" }
        return options.isEmpty ? safe(stuck.reason) : safe(stuck.reason) + "\nOptions: " + options.joined(separator: "  ")
    }

    /// The notify-send arguments for an event: the title and body escaped like terminal text,
    /// after "--" so one starting with "-" is not read as an option. The body's fields are
    /// escaped already; its own line breaks are kept. Notification servers read the body as
    /// markup (`<a href>`, `<img>`, `<b>`), so its `&`, `<` and `>` become entities: a stuck
    /// reason is shown as text, never as a live link.
    public static func desktopArguments(title: String, body: String) -> [String] {
        ["--app-name=ppds", "--", TerminalText.escaped(title), markupEscaped(TerminalText.escaped(body, keepingNewlines: true))]
    }

    /// Text for a notification body, where the server reads markup.
    public static func markupEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    private func fire(_ event: Event, session: Session) {
        let kind: NotificationDelivery.Event = switch event.kind {
        case .stuck: .stuck
        case .complete: .complete
        case .planReady: .planReady
        case .agentEnded: .agentEnded
        }
        delivery.deliver(kind, session: session, desktopArguments: Notifier.desktopArguments(title: event.title, body: event.body))
    }
}
