#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// Who answered a plan: the machine (id and label) and the user there. Recorded, never trusted:
/// the file is anyone's input, so this is what the answering ppds wrote, not a proof.
public struct PlanReviewer: Sendable, Equatable {
    public var machine: String?
    public var label: String?
    public var user: String?

    public init(machine: String? = nil, label: String? = nil, user: String? = nil) {
        self.machine = machine
        self.label = label
        self.user = user
    }

    /// "ana on laptop" / "laptop" / "someone".
    public var described: String {
        switch (user, label ?? machine) {
        case let (user?, place?): "\(user) on \(place)"
        case let (user?, nil): user
        case let (nil, place?): place
        case (nil, nil): "someone"
        }
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [:]
        fields["machine"] = machine.map(JSONValue.string) ?? .null
        fields["label"] = label.map(JSONValue.string) ?? .null
        fields["user"] = user.map(JSONValue.string) ?? .null
        return .object(fields)
    }

    init(json: JSONValue?) {
        let object = json?.objectValue ?? [:]
        self.init(machine: object["machine"]?.stringValue, label: object["label"]?.stringValue, user: object["user"]?.stringValue)
    }
}

/// What a human said about one version of a plan.
public struct PlanAnswer: Sendable, Equatable {
    public enum Verdict: String, Sendable {
        /// Go ahead: the worker implements the plan.
        case approved
        /// Sent back: the worker revises it and attaches a new version.
        case revise
    }

    public var verdict: Verdict
    public var message: String?
    public var at: Date
    public var by: PlanReviewer
    /// The guidance message that carried the answer to the worker.
    public var guidanceID: String?
    public var extra: [String: JSONValue]

    public init(verdict: Verdict, message: String?, at: Date, by: PlanReviewer, guidanceID: String?, extra: [String: JSONValue] = [:]) {
        self.verdict = verdict
        self.message = message
        self.at = at
        self.by = by
        self.guidanceID = guidanceID
        self.extra = extra
    }

    static let knownKeys: Set<String> = ["verdict", "message", "at", "by", "guidance"]

    public var json: JSONValue {
        var fields = extra
        fields["verdict"] = .string(verdict.rawValue)
        fields["message"] = message.map(JSONValue.string) ?? .null
        fields["at"] = .string(Timestamp.format(at))
        fields["by"] = by.json
        fields["guidance"] = guidanceID.map(JSONValue.string) ?? .null
        return .object(fields)
    }
}

/// One version of a worker's plan, with the answers it got. A plan attached after a revise is
/// the next version; the old ones stay, for `ppds plan --history`.
public struct PlanVersion: Sendable, Equatable {
    public var version: Int
    public var text: String
    public var at: Date
    public var answers: [PlanAnswer]
    public var extra: [String: JSONValue]

    public init(version: Int, text: String, at: Date, answers: [PlanAnswer] = [], extra: [String: JSONValue] = [:]) {
        self.version = version
        self.text = text
        self.at = at
        self.answers = answers
        self.extra = extra
    }

    /// Largest plan ppds accepts, in bytes of UTF-8: a plan is for a human to read, and several
    /// versions must fit in a session file (itself at most `Session.maxFileSize`).
    public static let maxBytes = 64 << 10

    /// The first line with words on it, for `status` and the dashboard's summary (at most 200 characters).
    public var firstLine: String {
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.first { !$0.isEmpty } ?? ""
        return line.count > 200 ? String(line.prefix(199)) + "…" : line
    }

    /// The last answer, which is the one that counts.
    public var answer: PlanAnswer? { answers.last }

    static let knownKeys: Set<String> = ["version", "text", "at", "answers"]

    public var json: JSONValue {
        var fields = extra
        fields["version"] = .int(Int64(version))
        fields["text"] = .string(text)
        fields["at"] = .string(Timestamp.format(at))
        fields["answers"] = .array(answers.map(\.json))
        return .object(fields)
    }
}

/// Where a session's plan stands, for the views (status, show, next, the dashboard).
public struct PlanSummary: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The latest version has no answer and the session is at planning_complete.
        case waiting
        case approved
        case revise
        /// The latest version has no answer, and the session has moved on without one.
        case unanswered
    }

    public let version: Int
    public let firstLine: String
    public let at: Date
    public let state: State
    public let answeredAt: Date?
    public let versions: Int

    public var json: JSONValue {
        .object(["version": .int(Int64(version)), "firstLine": .string(firstLine), "at": .string(Timestamp.format(at)),
                 "state": .string(state.rawValue), "answeredAt": answeredAt.map { .string(Timestamp.format($0)) } ?? .null,
                 "versions": .int(Int64(versions))])
    }
}

extension Session {
    /// The session key: a list of versions, oldest first.
    public static let plansKey = "plans"

    /// The newest plan version, if any.
    public var latestPlan: PlanVersion? { plans.last }

    /// The plan's state, nil when no plan was attached.
    public var planSummary: PlanSummary? {
        guard let latest = latestPlan else { return nil }
        let state: PlanSummary.State
        if let answer = latest.answer {
            state = answer.verdict == .approved ? .approved : .revise
        } else {
            state = status == .planningComplete ? .waiting : .unanswered
        }
        return PlanSummary(version: latest.version, firstLine: latest.firstLine, at: latest.at, state: state,
                           answeredAt: latest.answer?.at, versions: plans.count)
    }

    /// Whether a human is asked to review a plan: at planning_complete with an unanswered plan.
    public var planWaitsForReview: Bool { planSummary?.state == .waiting }
}

/// Reads the `plans` key strictly: it is someone else's input.
enum PlanReader {
    static func read(_ value: JSONValue?, fail: (String) -> SessionFileError) throws(SessionFileError) -> [PlanVersion] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw fail("'plans' is \(value.kindDescription), not a list") }
        var versions: [PlanVersion] = []
        for item in items {
            guard let fields = item.objectValue else { throw fail("a 'plans' entry is \(item.kindDescription), not an object") }
            guard case .int(let number)? = fields["version"], number >= 1, number <= Int64(Int32.max) else {
                throw fail("a 'plans' entry's 'version' is not a positive whole number")
            }
            if let last = versions.last, Int(number) <= last.version {
                throw fail("'plans' versions are not in increasing order (\(number) after \(last.version))")
            }
            guard let text = fields["text"]?.stringValue else { throw fail("plan version \(number) has no 'text' string") }
            guard let at = fields["at"]?.stringValue.flatMap(Timestamp.parse) else { throw fail("plan version \(number) has no ISO-8601 'at'") }
            var answers: [PlanAnswer] = []
            if let list = fields["answers"], !list.isNull {
                guard let entries = list.arrayValue else { throw fail("plan version \(number)'s 'answers' is not a list") }
                for entry in entries {
                    guard let answer = entry.objectValue, let verdict = answer["verdict"]?.stringValue.flatMap(PlanAnswer.Verdict.init(rawValue:)),
                          let answeredAt = answer["at"]?.stringValue.flatMap(Timestamp.parse) else {
                        throw fail("an answer to plan version \(number) lacks a 'verdict' (approved or revise) or an 'at' time")
                    }
                    answers.append(PlanAnswer(verdict: verdict, message: answer["message"]?.stringValue, at: answeredAt,
                                              by: PlanReviewer(json: answer["by"]), guidanceID: answer["guidance"]?.stringValue,
                                              extra: answer.filter { !PlanAnswer.knownKeys.contains($0.key) }))
                }
            }
            versions.append(PlanVersion(version: Int(number), text: text, at: at, answers: answers,
                                        extra: fields.filter { !PlanVersion.knownKeys.contains($0.key) }))
        }
        return versions
    }
}
