import Config
import Lifecycle
import SessionKit
import Support
import LifecycleCore

/// `status --all-repos`: one report per repository that has sessions under this PPDS_HOME
/// (found by the sessions' `repo` key), or a note that it is not reachable from here.
public struct StatusAcrossRepositories: Sendable {
    public struct Entry: Sendable {
        public var root: String
        /// Nil when the repository cannot be opened here.
        public var report: StatusReport?
    }

    public var repositories: [Entry]

    /// `options` gives each repository's view options from its own config.
    public static func build(_ store: SessionStore, options: (Config) -> StatusReport.Options) throws(PPDSError) -> StatusAcrossRepositories {
        var roots: [String] = []
        for session in store.list().sessions {
            guard let repo = session.repo, !roots.contains(where: { samePlace($0, repo) }) else { continue }
            roots.append(repo)
        }
        var entries: [Entry] = []
        for root in roots.sorted() {
            guard let workspace = try? Workspace.locate(repo: root, home: store.home) else {
                entries.append(Entry(root: root, report: nil))
                continue
            }
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            entries.append(Entry(root: workspace.repoRoot, report: try StatusReport.build(workspace, options: options(config))))
        }
        return StatusAcrossRepositories(repositories: entries)
    }

    public var json: OrderedJSON {
        .document("repositories", .array(repositories.map { entry in
            guard let report = entry.report else { return .object(["repo": .string(entry.root), "reachable": .bool(false)]) }
            var document = report.json
            document["repo"] = .string(entry.root)
            document["version"] = nil
            return document.objectValue
        }))
    }

    /// Each repository's view (`body`), indented under its path.
    public func render(_ body: (StatusReport) -> String) -> String {
        guard !repositories.isEmpty else { return "No sessions." }
        return repositories.map { entry in
            guard let report = entry.report else { return "▸ \(TerminalText.escaped(entry.root)) (not reachable here)" }
            return "▸ \(TerminalText.escaped(entry.root))\n"
                + body(report).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}
