import Support
/// A session's status. The spec's eight values, plus whatever other tools wrote
/// (`shipping`, `reviews_in_progress`, …), which is kept and shown as it is.
public enum SessionStatus: Hashable, Sendable, CustomStringConvertible {
    case registered
    case planning
    case planningComplete
    case working
    case stuck
    case paused
    case complete
    case cancelled
    case other(String)

    public static let canonical: [SessionStatus] = [.registered, .planning, .planningComplete, .working, .stuck, .paused, .complete, .cancelled]

    /// Reads a file's value. `pr_ready` (what the spec's own /ship wrote) is read as `complete`.
    public init(fileValue: String) {
        switch fileValue {
        case "registered": self = .registered
        case "planning": self = .planning
        case "planning_complete": self = .planningComplete
        case "working": self = .working
        case "stuck": self = .stuck
        case "paused": self = .paused
        case "complete", "pr_ready": self = .complete
        case "cancelled": self = .cancelled
        default: self = .other(fileValue)
        }
    }

    /// Parses a value a user typed: canonical names and the `pr_ready` alias only.
    public init?(userValue: String) {
        let status = SessionStatus(fileValue: userValue)
        if case .other = status { return nil }
        self = status
    }

    public var fileValue: String {
        switch self {
        case .registered: "registered"
        case .planning: "planning"
        case .planningComplete: "planning_complete"
        case .working: "working"
        case .stuck: "stuck"
        case .paused: "paused"
        case .complete: "complete"
        case .cancelled: "cancelled"
        case .other(let value): value
        }
    }

    public var description: String { fileValue }

    /// A worker may move freely between active statuses. Unknown values from other tools
    /// count as active: they are someone's work in progress.
    public var isActive: Bool {
        switch self {
        case .registered, .planning, .planningComplete, .working, .stuck, .other: true
        case .paused, .complete, .cancelled: false
        }
    }

    public var isTerminal: Bool { self == .complete || self == .cancelled }

    public var isKnown: Bool { if case .other = self { return false }; return true }
}
