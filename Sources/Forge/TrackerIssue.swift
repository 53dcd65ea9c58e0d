import Foundation
import SessionKit
import Support

/// One issue as the tracker lists it. The fields are those of
/// `gh issue list --json number,title,labels,assignees,updatedAt,url` (plus `state` with
/// `--state all`); gh's manual (https://cli.github.com/manual/gh_issue_list, "JSON Fields")
/// names them, and GitHub's GraphQL objects give their shapes: `labels` is an array of
/// `{id, name, description, color}`, `assignees` of `{id, login, name}`, `updatedAt` an
/// ISO-8601 time, `state` `OPEN` or `CLOSED`.
public struct TrackerIssue: Sendable, Equatable {
    public enum State: String, Sendable {
        case open, closed
    }

    public var number: IssueNumber
    public var title: String
    public var labels: [String]
    public var assignees: [String]
    public var updatedAt: Date?
    public var url: String?
    /// Nil when gh was not asked for it (an open-only list is all open).
    public var state: State?

    public init(number: IssueNumber, title: String, labels: [String] = [], assignees: [String] = [],
                updatedAt: Date? = nil, url: String? = nil, state: State? = nil) {
        self.number = number
        self.title = title
        self.labels = labels
        self.assignees = assignees
        self.updatedAt = updatedAt
        self.url = url
        self.state = state
    }

    /// Bounds for text from the forge: a title or label longer than this is cut.
    static let maxText = 500

    /// One element of gh's array; nil when it has no usable number.
    public init?(gh value: JSONValue) {
        guard let object = value.objectValue, let number = Self.issueNumber(object["number"]) else { return nil }
        func bounded(_ text: String) -> String { String(text.prefix(Self.maxText)) }
        self.number = number
        title = bounded(object["title"]?.stringValue ?? "")
        labels = (object["labels"]?.arrayValue ?? []).compactMap { ($0.objectValue?["name"]?.stringValue ?? $0.stringValue).map(bounded) }
        assignees = (object["assignees"]?.arrayValue ?? []).compactMap { ($0.objectValue?["login"]?.stringValue ?? $0.stringValue).map(bounded) }
        updatedAt = object["updatedAt"]?.stringValue.flatMap(Timestamp.parse)
        // Only a web address is kept: it is printed and linked, never opened by ppds.
        url = object["url"]?.stringValue.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? bounded($0) : nil }
        state = object["state"]?.stringValue.flatMap { State(rawValue: $0.lowercased()) }
    }

    static func issueNumber(_ value: JSONValue?) -> IssueNumber? {
        guard let value else { return nil }
        switch value {
        case .int(let number): return IssueNumber(Int(clamping: number))
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: return IssueNumber(Int(number))
        case .string(let text): return IssueNumber(parsing: text)
        default: return nil
        }
    }

    /// As the cache stores it and `--json` prints it (gh's names, flattened: labels and
    /// assignees as strings).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "number": .int(Int64(number.value)), "issue": .string(number.tag), "title": .string(title),
            "labels": .array(labels.map(JSONValue.string)), "assignees": .array(assignees.map(JSONValue.string)),
        ]
        fields["updatedAt"] = updatedAt.map { .string(Timestamp.format($0)) } ?? .null
        fields["url"] = url.map(JSONValue.string) ?? .null
        if let state { fields["state"] = .string(state.rawValue) }
        return .object(fields)
    }
}
