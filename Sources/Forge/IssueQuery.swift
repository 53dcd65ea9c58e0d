import Foundation
import SessionKit
import Support

/// What `ppds issues` asks the tracker for.
public struct IssueQuery: Sendable, Equatable {
    public var labels: [String]
    public var search: String?
    public var limit: Int
    /// Closed issues too (`gh issue list --state all`).
    public var allStates: Bool

    public static let defaultLimit = 30

    public init(labels: [String] = [], search: String? = nil, limit: Int = IssueQuery.defaultLimit, allStates: Bool = false) {
        self.labels = labels
        self.search = search
        self.limit = limit
        self.allStates = allStates
    }

    /// gh's arguments. Values go as `--flag=value`, so a label or search that starts with '-'
    /// is never read as another option.
    package var ghArguments: [String] {
        var fields = "number,title,labels,assignees,updatedAt,url"
        if allStates { fields += ",state" }
        var out = ["issue", "list", "--json", fields, "--limit", String(limit), "--state", allStates ? "all" : "open"]
        out += labels.map { "--label=" + $0 }
        if let search { out.append("--search=" + search) }
        return out
    }

    /// Whether `issue` answers this query, as far as a cached list can tell (the search cannot
    /// be applied again: the forge ran it).
    package func admits(_ issue: TrackerIssue) -> Bool {
        if !allStates && issue.state == .closed { return false }
        let have = Set(issue.labels.map { $0.lowercased() })
        return labels.allSatisfy { have.contains($0.lowercased()) }
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["labels": .array(labels.map(JSONValue.string)), "limit": .int(Int64(limit)), "allStates": .bool(allStates)]
        fields["search"] = search.map(JSONValue.string) ?? .null
        return .object(fields)
    }

    init(json: JSONValue?) {
        let object = json?.objectValue ?? [:]
        var limit = Self.defaultLimit
        if case .int(let number)? = object["limit"] { limit = Int(clamping: number) }
        self.init(labels: (object["labels"]?.arrayValue ?? []).compactMap(\.stringValue), search: object["search"]?.stringValue,
                  limit: limit, allStates: object["allStates"] == .bool(true))
    }
}
