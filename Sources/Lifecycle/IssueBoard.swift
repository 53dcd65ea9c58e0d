import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore
import Replication
import Forge

/// Where an issue is being worked on, on other machines (as of the last `ppds sync`).
public struct ElsewhereState: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Another machine's session, mirrored by sync.
        case session
        /// Only a claim on the registry remote (the session is not synced yet, or never made).
        case claim
    }

    public var kind: Kind
    public var machine: Machine?
    /// The session's status (a session only).
    public var status: String?
    public var since: Date?

    public init(kind: Kind, machine: Machine? = nil, status: String? = nil, since: Date? = nil) {
        self.kind = kind
        self.machine = machine
        self.status = status
        self.since = since
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        fields["machine"] = machine?.json ?? .null
        fields["status"] = status.map(JSONValue.string) ?? .null
        fields["since"] = since.map { .string(Timestamp.format($0)) } ?? .null
        return .object(fields)
    }
}

/// One issue of the list with its state here and elsewhere.
public struct IssueBoardEntry: Sendable {
    public var issue: TrackerIssue
    /// This repository's session on this machine for the issue.
    public var session: Session?
    public var elsewhere: ElsewhereState?

    public init(issue: TrackerIssue, session: Session? = nil, elsewhere: ElsewhereState? = nil) {
        self.issue = issue
        self.session = session
        self.elsewhere = elsewhere
    }

    /// Someone (this machine or another) works on it, or holds its claim.
    public var isClaimed: Bool { session != nil || elsewhere != nil }

    public var json: JSONValue {
        var fields = issue.json.objectValue ?? [:]
        fields["claimed"] = .bool(isClaimed)
        if let session {
            fields["here"] = .object([
                "status": .string(session.status.fileValue), "branch": .string(session.branch),
                "worktree": .string(session.worktree), "started": .string(Timestamp.format(session.started)),
                "lastUpdate": .string(Timestamp.format(session.lastUpdate)),
            ])
        } else {
            fields["here"] = .null
        }
        fields["elsewhere"] = elsewhere?.json ?? .null
        return .object(fields)
    }
}

/// Where the list came from.
public enum IssueListSource: String, Sendable {
    /// The tracker answered now.
    case tracker
    /// The tracker could not be asked: the last list fetched for this repository.
    case cache
}

/// `ppds issues`: the tracker's open issues, each with its session state here and elsewhere,
/// ordered for choosing.
public struct IssueBoard: Sendable {
    public var entries: [IssueBoardEntry]
    public var source: IssueListSource
    public var fetchedAt: Date
    /// Why the cache was used (the tracker's failure), said with the list.
    public var note: String?

    /// Asks gh; offline (or without gh), the cached list with a note. With neither, fails.
    public static func load(_ workspace: Workspace, config: Config, query: IssueQuery, now: Date = Date()) throws(PPDSError) -> IssueBoard {
        let cache = ForgeCache(workspace)
        var issues: [TrackerIssue]
        var source = IssueListSource.tracker
        var fetchedAt = now
        var note: String?
        switch GitHubCLI.run(query.ghArguments, in: workspace.repoRoot) {
        case .json(let value):
            guard let items = value.arrayValue else {
                throw PPDSError.failed("gh issue list printed JSON that is not a list; nothing is shown")
            }
            issues = items.prefix(max(query.limit, 1)).compactMap(TrackerIssue.init(gh:))
            do {
                try cache.saveIssues(ForgeCache.IssueList(issues: issues, fetchedAt: now, query: query))
            } catch {
                note = "the list could not be cached: \(error.message)"
            }
        case .missing(let reason), .unreachable(let reason):
            guard let cached = cache.loadIssues() else {
                throw PPDSError.failed("the tracker could not be asked (\(reason)), and no earlier list of this repository's issues is cached; nothing to show")
            }
            source = .cache
            fetchedAt = cached.fetchedAt
            issues = Array(cached.issues.filter(query.admits).prefix(query.limit))
            var words = "the tracker could not be asked (\(reason)): this is the list fetched \(HumanDuration.describe(now.timeIntervalSince(cached.fetchedAt))) ago"
            if let search = query.search, cached.query.search != search {
                words += "; --search is not applied to a cached list"
            }
            note = words
        }
        let entries = annotate(issues, workspace: workspace, config: config)
        return IssueBoard(entries: IssueOrdering.ordered(entries, labelPriority: config.labelPriority),
                          source: source, fetchedAt: fetchedAt, note: note)
    }

    /// Each issue with this repository's local session, another machine's mirrored session,
    /// or a claim fetched by the last sync.
    static func annotate(_ issues: [TrackerIssue], workspace: Workspace, config: Config) -> [IssueBoardEntry] {
        var local: [IssueNumber: Session] = [:]
        for session in workspace.store.list().sessions where workspace.owns(session) { local[session.issue] = session }
        var elsewhere: [IssueNumber: ElsewhereState] = [:]
        let me = try? Machine.current(home: workspace.store.home)
        if let remote = config.registryRemote, let repository = try? workspace.openRepository() {
            for (issue, claim) in RegistryClaims.fetchedClaims(repository, remote: remote) where claim.machine.id != me?.id {
                elsewhere[issue] = ElsewhereState(kind: .claim, machine: claim.machine, status: nil, since: claim.at)
            }
        }
        // A mirrored session says more than a claim.
        for session in workspace.mirrorStore.list().sessions where session.machine?.id != me?.id {
            elsewhere[session.issue] = ElsewhereState(kind: .session, machine: session.machine,
                                                      status: session.status.fileValue, since: session.lastUpdate)
        }
        return issues.map { IssueBoardEntry(issue: $0, session: local[$0.number], elsewhere: elsewhere[$0.number]) }
    }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["source"] = .string(source.rawValue)
        out["fetchedAt"] = .string(Timestamp.format(fetchedAt))
        out["note"] = note.map(JSONValue.string) ?? .null
        out["issues"] = .array(entries.map(\.json))
        return out
    }
}

/// The order for choosing what to start: unclaimed first, then by label priority (the first
/// configured label an issue carries; none ranks last), then the longest untouched (oldest
/// `updatedAt`; unknown last), then by number.
public enum IssueOrdering {
    public static func rank(_ labels: [String], priority: [String]) -> Int {
        let wanted = priority.map { $0.lowercased() }
        return labels.compactMap { wanted.firstIndex(of: $0.lowercased()) }.min() ?? wanted.count
    }

    public static func ordered(_ entries: [IssueBoardEntry], labelPriority: [String]) -> [IssueBoardEntry] {
        entries.sorted { a, b in
            if a.isClaimed != b.isClaimed { return !a.isClaimed }
            let ra = rank(a.issue.labels, priority: labelPriority), rb = rank(b.issue.labels, priority: labelPriority)
            if ra != rb { return ra < rb }
            let ua = a.issue.updatedAt ?? .distantFuture, ub = b.issue.updatedAt ?? .distantFuture
            if ua != ub { return ua < ub }
            return a.issue.number < b.issue.number
        }
    }
}

extension IssueBoard {
    /// What `start-work --from-issues` starts: the unclaimed open issues, in the board's order.
    public func startable(limit: Int?) -> [IssueBoardEntry] {
        let free = entries.filter { !$0.isClaimed && $0.issue.state != .closed }
        return Array(free.prefix(limit ?? free.count))
    }
}
