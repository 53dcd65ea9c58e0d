import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore

extension IssueNumber: ExpressibleByArgument {
    /// `456`, `#456` or `work-456`; anything else is a usage error naming the value.
    public init?(argument: String) {
        self.init(parsing: argument)
    }

    /// This repository's session issue numbers.
    public static var defaultCompletionKind: CompletionKind { Completions.issueKind }
}

extension SessionStatus: ExpressibleByArgument {
    /// A status as a worker types it (`pr_ready` too); unknown values are a usage error.
    public init?(argument: String) {
        self.init(userValue: argument)
    }

    public static var allValueStrings: [String] { SessionStatus.canonical.map(\.fileValue) }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// A duration on the command line: minutes, or `90s`, `30m`, `2h`, `1d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let seconds: TimeInterval

    init?(argument: String) {
        guard let seconds = HumanDuration.parse(argument) else { return nil }
        self.seconds = seconds
    }

    static var defaultCompletionKind: CompletionKind { .list(["30m", "1h", "2h", "1d"]) }
}

/// `--repo`, on every command that touches git or a session.
struct RepoOption: ParsableArguments {
    @Option(name: .long, help: "The repository (any folder of its main or a linked worktree). Default: the current folder.",
            completion: .directory)
    var repo: String?

    func workspace() throws(PPDSError) -> Workspace {
        try Workspace.locate(repo: repo)
    }

    /// The repository with its configuration (config.toml, and .ppds.toml once trusted): where
    /// most verbs start.
    func configured() throws(PPDSError) -> (Workspace, Config) {
        let workspace = try workspace()
        return (workspace, try workspace.config())
    }
}

/// The one session a verb acts on: `<issue>` and `--repo` (see `CLI.target`).
struct SessionTarget: ParsableArguments {
    @Argument(help: "The issue (456, #456 or work-456).") var issue: IssueNumber
    @OptionGroup var repo: RepoOption
}

/// The session a verb acts on: `[<issue>]` and `--repo`; without an issue, the session whose
/// worktree holds the current folder.
struct CurrentSessionTarget: ParsableArguments {
    @Argument(help: "The issue (456, #456 or work-456). Default: the session whose worktree you are in.") var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
}

/// A verb on one named session: it declares `@OptionGroup var target: SessionTarget`.
protocol NamedSessionCommand: PPDSCommand {
    var target: SessionTarget { get }
}

extension NamedSessionCommand {
    var issue: IssueNumber { target.issue }
    var repo: RepoOption { target.repo }
}

/// A verb on the named session or the current folder's: `@OptionGroup var target: CurrentSessionTarget`.
protocol SessionCommand: PPDSCommand {
    var target: CurrentSessionTarget { get }
}

extension SessionCommand {
    var issue: IssueNumber? { target.issue }
    var repo: RepoOption { target.repo }
}

extension Workspace {
    /// This repository's configuration as this PPDS_HOME sees it: the one place commands load it.
    func config() throws(PPDSError) -> Config {
        try Config.load(home: store.home, repoRoot: repoRoot)
    }
}

enum CLI {
    static var store: SessionStore { SessionStore(home: SessionStore.defaultHome()) }

    /// `ppds: <message>` on stderr. Messages quote untrusted text (paths, branches, git and hook
    /// output), so control characters are escaped; line breaks are kept, with the lines after
    /// the first indented so nothing in a message can pass for a line of its own.
    /// `prefixed: false` for text that is already safe (a rendered report).
    static func printError(_ message: String, prefixed: Bool = true, newline: Bool = true) {
        let text = prefixed ? TerminalText.block(message, prefix: "ppds: ") : message
        // write(2), as the front does: FileHandle.write traps when stderr is closed.
        StandardStream.error(text + (newline ? "\n" : ""))
    }

    static func printJSON(_ object: OrderedJSON) {
        print(JSONWriter.write(object))
    }

    /// Applies a change to the named session (or the one whose worktree holds the current
    /// folder), which must belong to the repository of `--repo` or of the current folder. Run
    /// outside any repository without `--repo`, the session file alone decides.
    static func apply(_ change: SessionChange, to given: IssueNumber?, repo: RepoOption) throws(PPDSError) -> Session {
        let (store, workspace, issue) = try target(given, repo: repo)
        return try SessionChanges.apply(change, to: issue, in: store, workspace: workspace)
    }

    /// The store, repository and issue a verb on one session acts on (see `SessionTargeting`).
    static func target(_ given: IssueNumber?, repo: RepoOption) throws(PPDSError) -> (SessionStore, Workspace?, IssueNumber) {
        try SessionTargeting.target(given, repo: repo.repo)
    }

    /// The sessions a command acts on: those of `--repo`, or of the repository around the
    /// current folder; outside any repository, the spec's layout alone.
    static func scope(_ repo: RepoOption) throws(PPDSError) -> (SessionStore, Workspace?) {
        try SessionTargeting.scope(repo.repo)
    }

    /// The named issue, or the session whose worktree holds the current folder.
    static func issue(_ given: IssueNumber?, store: SessionStore) throws(PPDSError) -> IssueNumber {
        try SessionTargeting.issue(given, store: store)
    }

    /// The view's options: `--stale-after` (validated already), else the configured `stale_after`.
    static func statusOptions(staleAfter: DurationArgument?, config: Config) -> StatusReport.Options {
        var options = StatusReport.Options()
        if let seconds = staleAfter?.seconds ?? config.staleAfter { options.staleAfter = seconds }
        return options
    }

    /// Colour only on a terminal, and never with NO_COLOR set.
    static var useColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    /// Settings ppds would merge into a file: its exact bytes, to paste; with `json`, parsed into
    /// `document` under `field`.
    static func printSettings(_ data: Data, json: Bool, document: OrderedJSON, field: String) {
        if json {
            var out = document
            out[field] = (try? JSONValue.parse(data)) ?? .null
            printJSON(out)
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    /// Reports one changed session: JSON, or `line` (which names the issue) for people.
    static func report(_ session: Session, json: Bool, line: String) {
        if json {
            printJSON(.document("session", session.json.objectValue))
        } else {
            print(TerminalText.escaped(line))
        }
    }
}
