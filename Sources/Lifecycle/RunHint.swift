import GitKit
import Support

/// Advice about the repository rather than about a command's answer: given at most once per run
/// (on stderr in text, as `hints` in JSON) and never acted on by ppds.
public struct RunHint: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A long history was walked without git's commit-graph.
        case commitGraphMissing
    }

    public let kind: Kind
    public let message: String
    /// What the user may run; ppds runs none of it.
    public let commands: [String]

    public var json: JSONValue {
        .object(["kind": .string(kind.rawValue), "message": .string(message), "commands": .array(commands.map(JSONValue.string))])
    }

    /// Commits walked without a graph, summed over one run, from which writing one pays: the
    /// fixture's 3,000-behind squash and unmerged branches take 3–4× the CPU without a graph.
    public static let longWalk = 2_000

    /// The pure decision: a long walk, and a repository where git would use a graph but has none.
    public static func commitGraph(walked: Int, graphMissing: Bool) -> RunHint? {
        guard walked >= longWalk, graphMissing else { return nil }
        return RunHint(
            kind: .commitGraphMissing,
            message: """
            this walked \(walked) commits of history without a commit-graph; writing one makes merge checks \
            several times faster: 'git commit-graph write --reachable --changed-paths' (once), or \
            'git maintenance start' (keeps it current). ppds never writes it itself.
            """,
            commands: ["git commit-graph write --reachable --changed-paths", "git maintenance start"])
    }

    /// The hints after merge checks that walked `walked` commits without a graph in `repository`
    /// (its folder is looked at only after a long walk).
    public static func afterMergeChecks(walked: Int, repository: Repository) -> [RunHint] {
        guard walked >= longWalk else { return [] }
        let missing = CommitGraph.isMissing(commonDir: repository.commonDir, repository: repository)
        return commitGraph(walked: walked, graphMissing: missing).map { [$0] } ?? []
    }
}
