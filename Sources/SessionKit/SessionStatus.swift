import Support
/// A session's status. The spec's eight values, plus whatever other tools wrote
/// (`shipping`, `reviews_in_progress`, …), which is kept and shown as it is.
///
/// One table: `Known` spells each status ppds knows as the file writes it, and every property
/// below is an exhaustive switch, so a status added here does not compile until the parser,
/// the spelling and each rule have a row for it; the dashboard is served these rows as data.
public enum SessionStatus: Hashable, Sendable, CustomStringConvertible {
    case registered
    case planning
    case planningComplete
    case working
    case stuck
    case paused
    case complete
    case cancelled
    /// A value ppds does not know, read from a file (the spec allows other tools' statuses):
    /// kept as written, counted as active, grouped as "Other status".
    case other(String)

    /// The statuses ppds knows, by their spelling in a session file, in the spec's order.
    public enum Known: String, CaseIterable, Sendable {
        case registered, planning, planningComplete = "planning_complete", working, stuck, paused, complete, cancelled

        public var status: SessionStatus {
            switch self {
            case .registered: .registered
            case .planning: .planning
            case .planningComplete: .planningComplete
            case .working: .working
            case .stuck: .stuck
            case .paused: .paused
            case .complete: .complete
            case .cancelled: .cancelled
            }
        }
    }

    /// Its row in `Known`; nil for another tool's value.
    public var known: Known? {
        switch self {
        case .registered: .registered
        case .planning: .planning
        case .planningComplete: .planningComplete
        case .working: .working
        case .stuck: .stuck
        case .paused: .paused
        case .complete: .complete
        case .cancelled: .cancelled
        case .other: nil
        }
    }

    public static let canonical: [SessionStatus] = Known.allCases.map(\.status)

    /// Older spellings read as a known status: `pr_ready` (what the spec's own /ship wrote) is `complete`.
    public static let aliases: [String: SessionStatus] = ["pr_ready": .complete]

    /// Reads a file's value; one ppds does not know is kept as `.other`.
    public init(fileValue: String) {
        self = Known(rawValue: fileValue)?.status ?? Self.aliases[fileValue] ?? .other(fileValue)
    }

    /// Parses a value a user typed: canonical names and the `pr_ready` alias only.
    public init?(userValue: String) {
        guard let status = Known(rawValue: userValue)?.status ?? Self.aliases[userValue] else { return nil }
        self = status
    }

    public var fileValue: String {
        if case .other(let value) = self { return value }
        // Every other case has its row: `known` is an exhaustive switch.
        return known!.rawValue
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

    /// Finished: no change is accepted any more.
    public var isTerminal: Bool {
        switch self {
        case .complete, .cancelled: true
        case .registered, .planning, .planningComplete, .working, .stuck, .paused, .other: false
        }
    }
}
