import Foundation
import SessionKit
import Support
import LifecycleCore

/// What ppds last heard from the forge, per repository: `$PPDS_HOME/forge/<repository key>/`,
/// private files written atomically. Only a cache: a missing or unreadable file means "never
/// asked", and nothing in it is ever evidence for removing anything.
public struct ForgeCache: Sendable {
    public let folder: String
    let home: String

    public init(_ workspace: Workspace) {
        home = workspace.store.home
        folder = home + "/forge/" + SessionStore.folderKey(forRepo: workspace.repoRoot)
    }

    var issuesFile: String { folder + "/issues.json" }
    var pullRequestsFile: String { folder + "/pull-requests.json" }

    func read(_ file: String) -> [String: JSONValue]? {
        guard let data = try? PrivateFile.read(file, limit: 8 << 20) else { return nil }
        guard let object = (try? JSONValue.parse(data))?.objectValue, object["version"] == .int(1) else { return nil }
        return object
    }

    func write(_ document: OrderedJSON, to file: String) throws(PPDSError) {
        do {
            try PrivateFile.write(Data((JSONWriter.write(document) + "\n").utf8), to: file, home: home)
        } catch {
            throw PPDSError.io("\(file): \(error.message)")
        }
    }
}

extension ForgeCache {
    /// The last issue list fetched, when it was fetched, and what was asked.
    public struct IssueList: Sendable {
        public var issues: [TrackerIssue]
        public var fetchedAt: Date
        public var query: IssueQuery

        package init(issues: [TrackerIssue], fetchedAt: Date, query: IssueQuery) {
            self.issues = issues
            self.fetchedAt = fetchedAt
            self.query = query
        }
    }

    public func loadIssues() -> IssueList? {
        guard let object = read(issuesFile), let at = object["fetchedAt"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
        let issues = (object["issues"]?.arrayValue ?? []).compactMap(TrackerIssue.init(gh:))
        return IssueList(issues: issues, fetchedAt: at, query: IssueQuery(json: object["query"]))
    }

    public func saveIssues(_ list: IssueList) throws(PPDSError) {
        var document = OrderedJSON()
        document["version"] = .int(1)
        document["fetchedAt"] = .string(Timestamp.format(list.fetchedAt))
        document["query"] = list.query.json
        document["issues"] = .array(list.issues.map(\.json))
        try write(document, to: issuesFile)
    }
}
