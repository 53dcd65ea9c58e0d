#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// Why a session waits for a human.
public struct StuckContext: Sendable, Equatable {
    public var reason: String
    public var context: String?
    public var options: [String]
    public var since: Date

    public init(reason: String, context: String? = nil, options: [String] = [], since: Date) {
        self.reason = reason
        self.context = context
        self.options = options
        self.since = since
    }
}

/// One message the orchestrator relayed to the session. `id` makes the list a set: two copies
/// of a file (two machines, a retried write) merge without losing or doubling a message.
/// `delivered` is when a worker first read it (`wait`, `update`, or `show` in its worktree).
public struct Guidance: Sendable, Equatable {
    public var id: String
    public var message: String
    public var at: Date
    public var delivered: Date?
    /// Keys of the entry ppds does not know, kept through every rewrite.
    public var extra: [String: JSONValue]

    public init(id: String? = nil, message: String, at: Date, delivered: Date? = nil, extra: [String: JSONValue] = [:]) {
        self.id = id ?? Guidance.derivedID(message: message, at: at)
        self.message = message
        self.at = at
        self.delivered = delivered
        self.extra = extra
    }

    /// A fresh id for a new message: random, so the same words sent twice stay two messages.
    public static func newID() -> String {
        "g-" + (0..<12).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }

    /// The id of an entry written without one (by an older ppds or another tool): derived from
    /// its content, so every reader of the same file gives it the same id.
    public static func derivedID(message: String, at: Date) -> String {
        "g-" + String(SHA256.hex(Data((Timestamp.format(at) + "\n" + message).utf8)).prefix(12))
    }

    static let knownKeys: Set<String> = ["id", "message", "at", "delivered"]

    var json: JSONValue {
        var fields = extra
        fields["id"] = .string(id)
        fields["message"] = .string(message)
        fields["at"] = .string(Timestamp.format(at))
        if let delivered { fields["delivered"] = .string(Timestamp.format(delivered)) }
        return .object(fields)
    }
}

extension Session {
    /// Guidance no worker has read yet, oldest first.
    public var undeliveredGuidance: [Guidance] { guidance.filter { $0.delivered == nil } }
}

/// A session status file: the spec's keys, ppds's own keys, and every other key as it was.
public struct Session: Sendable, Equatable {
    public var issue: IssueNumber
    public var status: SessionStatus
    public var branch: String
    public var worktree: String
    public var started: Date
    public var lastUpdate: Date
    public var stuck: StuckContext?

    // ppds's own keys (the contract's suggestions).
    public var title: String?
    public var repo: String?
    public var base: String?
    public var baseCommit: String?
    public var pr: String?
    public var guidance: [Guidance]
    public var pausedFrom: SessionStatus?
    /// The worker's plan, every version with its answers (`plans`; see Plan.swift).
    public var plans: [PlanVersion]
    /// The worker's agent process, when ppds started one (see AgentRecord.swift).
    public var agent: AgentRecord?
    /// The session's block of ports (see AgentRecord.swift).
    public var ports: PortBlock?

    /// Keys ppds does not know, kept through every rewrite.
    public var extra: [String: JSONValue]

    public var id: String { issue.sessionID }

    public init(issue: IssueNumber, status: SessionStatus = .registered, branch: String, worktree: String,
                started: Date, title: String? = nil, repo: String? = nil, base: String? = nil, baseCommit: String? = nil) {
        self.issue = issue
        self.status = status
        self.branch = branch
        self.worktree = worktree
        self.started = started
        self.lastUpdate = started
        self.stuck = nil
        self.title = title
        self.repo = repo
        self.base = base
        self.baseCommit = baseCommit
        self.pr = nil
        self.guidance = []
        self.pausedFrom = nil
        self.plans = []
        self.agent = nil
        self.ports = nil
        self.extra = [:]
    }

    /// Set by `doctor --fix` on a finished session whose worktree folder is really gone, so
    /// prune's guard against an unmounted disk no longer counts it.
    public static let worktreeGoneKey = "worktreeGone"

    /// Bounds that keep a hostile file from exhausting memory or the stack.
    public static let maxFileSize = 4 << 20
    public static let maxNesting = 128

    /// The message for a file over `maxFileSize`; `size` is e.g. `2147483648 bytes`.
    static func tooLarge(_ size: String) -> String {
        "\(size) is too large for a session file (at most \(maxFileSize) bytes)"
    }

    static let specKeys = ["id", "status", "issue", "branch", "worktree", "started", "lastUpdate", "stuck"]
    static let ownKeys = ["title", "repo", "base", "baseCommit", "pr", "guidance", "pausedFrom", Session.plansKey, AgentRecord.sessionKey, PortBlock.sessionKey]
}

// MARK: - Reading and writing

/// Why a session file could not be read. Names the file.
public struct SessionFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

extension Session {
    /// Reads a session from a file's bytes. `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws(SessionFileError) -> Session {
        guard data.count <= Session.maxFileSize else {
            throw SessionFileError(file: file, reason: Session.tooLarge("\(data.count) bytes"))
        }
        guard JSONValue.nestingDepth(data) <= Session.maxNesting else {
            throw SessionFileError(file: file, reason: "nested deeper than \(Session.maxNesting) levels")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw SessionFileError(file: file, reason: "not valid JSON (\(Session.describe(error)))")
        }
        guard let object = value.objectValue else {
            throw SessionFileError(file: file, reason: "the top level is not a JSON object")
        }
        let reader = FieldReader(object: object, file: file)
        let issue = try reader.issue()
        if let idValue = object["id"], !idValue.isNull {
            guard let id = idValue.stringValue else { throw SessionFileError(file: file, reason: "'id' is \(idValue.kindDescription), not a string") }
            guard id == issue.sessionID else {
                throw SessionFileError(file: file, reason: "its id \(quote(id)) does not match its issue \(quote(issue.tag))")
            }
        }
        let branch = try reader.string("branch")
        guard branch.utf8.count <= 255 else {
            throw SessionFileError(file: file, reason: "'branch' \(quote(branch)) is \(branch.utf8.count) bytes long (at most 255)")
        }
        if let problem = RefName.branchNameProblem(branch) {
            throw SessionFileError(file: file, reason: "'branch' \(quote(branch)) is not a valid branch name: \(problem)")
        }
        let worktree = try reader.string("worktree")
        if let problem = SessionPath.worktreeProblem(worktree) {
            throw SessionFileError(file: file, reason: "'worktree' \(quote(worktree)) is not an absolute, canonical folder path: \(problem)")
        }
        let status = try reader.string("status")
        guard (1...64).contains(status.utf8.count) else {
            throw SessionFileError(file: file, reason: "'status' \(quote(status)) is not a status value (1 to 64 bytes)")
        }
        var session = Session(
            issue: issue,
            status: SessionStatus(fileValue: status),
            branch: branch,
            worktree: worktree,
            started: try reader.date("started"))
        session.lastUpdate = try reader.date("lastUpdate")
        session.stuck = try reader.stuck()
        session.title = try reader.optionalString("title")
        session.repo = try reader.optionalString("repo")
        session.base = try reader.optionalString("base")
        if let base = session.base, Session.base(base, namesBranch: branch) {
            throw SessionFileError(file: file, reason: "'base' \(quote(base)) names the session's own branch \(quote(branch)); against itself every branch looks merged")
        }
        session.baseCommit = try reader.optionalString("baseCommit")
        session.pr = try reader.optionalString("pr")
        session.guidance = try reader.guidance()
        session.pausedFrom = try reader.optionalString("pausedFrom").map(SessionStatus.init(fileValue:))
        if let pausedFrom = session.pausedFrom, !(1...64).contains(pausedFrom.fileValue.utf8.count) {
            throw SessionFileError(file: file, reason: "'pausedFrom' \(quote(pausedFrom.fileValue)) is not a status value (1 to 64 bytes)")
        }
        session.plans = try PlanReader.read(object[Session.plansKey], fail: reader.fail)
        session.agent = try AgentRecord.read(object[AgentRecord.sessionKey], fail: reader.fail)
        session.ports = try PortBlock.read(object[PortBlock.sessionKey], fail: reader.fail)
        let known = Set(specKeys + ownKeys)
        session.extra = object.filter { !known.contains($0.key) }
        return session
    }

    /// The file's JSON: spec keys in the spec's order, then ppds's keys, then the others.
    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["id"] = .string(id)
        out["status"] = .string(status.fileValue)
        out["issue"] = .string(issue.tag)
        out["branch"] = .string(branch)
        out["worktree"] = .string(worktree)
        out["started"] = .string(Timestamp.format(started))
        out["lastUpdate"] = .string(Timestamp.format(lastUpdate))
        out["stuck"] = stuck.map { stuck in
            var fields: [String: JSONValue] = [
                "reason": .string(stuck.reason),
                "options": .array(stuck.options.map(JSONValue.string)),
                "since": .string(Timestamp.format(stuck.since)),
            ]
            fields["context"] = stuck.context.map(JSONValue.string) ?? .null
            return .object(fields)
        } ?? .null
        out.set("title", title.map(JSONValue.string))
        out.set("repo", repo.map(JSONValue.string))
        out.set("base", base.map(JSONValue.string))
        out.set("baseCommit", baseCommit.map(JSONValue.string))
        out.set("pr", pr.map(JSONValue.string))
        if !guidance.isEmpty {
            out["guidance"] = .array(guidance.map(\.json))
        }
        out.set("pausedFrom", pausedFrom.map { .string($0.fileValue) })
        if !plans.isEmpty { out[Session.plansKey] = .array(plans.map(\.json)) }
        out.set(AgentRecord.sessionKey, agent?.json)
        out.set(PortBlock.sessionKey, ports?.json)
        for key in extra.keys.sorted() { out[key] = extra[key] }
        return out
    }

    public func encoded() -> Data { Data((JSONWriter.write(json) + "\n").utf8) }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as? CocoaError)?.userInfo["NSDebugDescription"] as? String
            return underlying ?? context.debugDescription
        default:
            return "\(error)"
        }
    }
}

/// Reads typed fields from a parsed file, naming the key that is wrong.
private struct FieldReader {
    let object: [String: JSONValue]
    let file: String

    func fail(_ reason: String) -> SessionFileError { SessionFileError(file: file, reason: reason) }

    func string(_ key: String) throws(SessionFileError) -> String {
        guard let value = object[key] else { throw fail("missing key '\(key)'") }
        guard let text = value.stringValue else { throw fail("'\(key)' is \(value.kindDescription), not a string") }
        return text
    }

    func optionalString(_ key: String) throws(SessionFileError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw fail("'\(key)' is \(value.kindDescription), not a string") }
        return text
    }

    func date(_ key: String) throws(SessionFileError) -> Date {
        let text = try string(key)
        guard let date = Timestamp.parse(text) else { throw fail("'\(key)' is not an ISO-8601 time: \(Session.quote(text))") }
        return date
    }

    func issue() throws(SessionFileError) -> IssueNumber {
        switch object["issue"] {
        case .string(let text)?:
            guard let issue = IssueNumber(parsing: text) else { throw fail("'issue' is not an issue number: \(Session.quote(text))") }
            return issue
        case .int(let number)?:
            guard let issue = IssueNumber(Int(number)) else { throw fail("'issue' is not a positive number: \(number)") }
            return issue
        case nil:
            guard let id = object["id"]?.stringValue, let issue = IssueNumber(parsing: id) else { throw fail("missing key 'issue'") }
            return issue
        case .double(let number)?:
            throw fail("'issue' is not a whole positive number: \(number)")
        case let other?:
            throw fail("'issue' is \(other.kindDescription), neither a string nor a number")
        }
    }

    func stuck() throws(SessionFileError) -> StuckContext? {
        guard let value = object["stuck"], !value.isNull else { return nil }
        guard let fields = value.objectValue else { throw fail("'stuck' is \(value.kindDescription), neither null nor an object") }
        guard let reason = fields["reason"]?.stringValue else { throw fail("'stuck.reason' is missing or not a string") }
        let options = (fields["options"]?.arrayValue ?? []).compactMap(\.stringValue)
        let since = fields["since"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0)
        return StuckContext(reason: reason, context: fields["context"]?.stringValue, options: options, since: since)
    }

    func guidance() throws(SessionFileError) -> [Guidance] {
        guard let value = object["guidance"], !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw fail("'guidance' is \(value.kindDescription), not a list") }
        return try items.map { (item: JSONValue) throws(SessionFileError) -> Guidance in
            guard let fields = item.objectValue, let message = fields["message"]?.stringValue else {
                throw fail("a 'guidance' entry lacks a 'message'")
            }
            let at = fields["at"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0)
            var id: String?
            if let value = fields["id"], !value.isNull {
                guard let text = value.stringValue, (1...64).contains(text.utf8.count) else {
                    throw fail("a 'guidance' entry's 'id' is not a string of 1 to 64 bytes")
                }
                id = text
            }
            let delivered = fields["delivered"]?.stringValue.flatMap(Timestamp.parse)
            return Guidance(id: id, message: message, at: at, delivered: delivered,
                            extra: fields.filter { !Guidance.knownKeys.contains($0.key) })
        }
    }
}

/// ISO-8601 UTC times ending in `Z`, as the spec writes them.
public enum Timestamp {
    // `secondsFromGMT: 0`, not the identifier "UTC": without ICU (the front) no zone has a name.
    // Made once: making a style costs more than using it.
    private static let written = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!)
    private static let whole = Date.ISO8601FormatStyle()
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func format(_ date: Date) -> String {
        PlainUTCTime.format(date) ?? date.formatted(written)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = PlainUTCTime.parse(text) { return date }
        if let date = try? Date(text, strategy: whole) { return date }
        return try? Date(text, strategy: fractional)
    }
}
