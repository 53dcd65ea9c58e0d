import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents
import Forge

struct StartWorkCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "start-work",
        abstract: "Create a branch, a worktree and a session for each issue ('-' reads more issue numbers from stdin).")

    @Argument(help: "Issues (456, #456 or work-456); '-' reads more from stdin.") var issues: [String] = []
    @Flag(name: .customLong("from-issues"), help: "Start the tracker's unclaimed open issues, as 'ppds issues' lists them (with --label, --search, --limit).")
    var fromIssues = false
    @OptionGroup var fromFilter: IssueQueryOptions
    @OptionGroup var repo: RepoOption
    @Option(help: "The ref to branch from. Default: config, then origin/HEAD, origin/main, then the local default.", completion: Completions.refKind) var base: String?
    @Option(help: "The issue title (single issue). Default: from gh, when it is on PATH.") var title: String?
    @Option(help: "The branch type (fix, feat, docs, chore, …). Default: from labels, then config, then feat.") var type: String?
    @Option(help: "How many issues to start at once.") var jobs: Int = 2
    @Flag(help: "Do not ask gh for titles and labels.") var offline = false
    @Flag(help: "Start even an issue that gh says does not exist or is closed.") var force = false
    @Flag(name: .customLong("no-hooks"), help: "Do not run post_create hooks or the spawn command.") var noHooks = false
    @Option(help: "Use this existing local branch instead of creating one (one issue; refused when it is checked out).") var branch: String?
    @Option(help: "Write this agent's hooks into each new worktree, as 'ppds agent-hooks claude --write' does (claude); with --spawn, the agent to spawn ('claude' or a name from [agents.NAME]).")
    var agent: String?
    @Flag(help: "Then start each session's worker agent in its own tmux window, as 'ppds spawn' does (claude unless --agent names another).")
    var spawn = false
    @OptionGroup var output: OutputOptions
    @Flag(help: "Print only the new worktree's path on stdout (the rest on stderr), for 'ppds shell-init', whose wrapper then changes into it.")
    var cd = false
    @Option(parsing: .remaining, help: "Last: a command and its arguments, run (argv, no shell) in each new worktree with the PPDS_* variables, like spawn.")
    var exec: [String] = []

    func validate() throws {
        if fromIssues && !issues.isEmpty { throw ValidationError("--from-issues takes the issues from the tracker: give no issue numbers with it") }
        if !fromIssues && (!fromFilter.labels.isEmpty || fromFilter.search != nil || fromFilter.limit != nil) {
            throw ValidationError("--label, --search and --limit go with --from-issues")
        }
        if cd && (issues.count != 1 || issues == ["-"]) { throw ValidationError("--cd goes with exactly one issue") }
        if cd && json { throw ValidationError("--cd and --json do not go together") }
        for value in issues where value != "-" && IssueNumber(parsing: value) == nil {
            throw ValidationError("'\(value)' is not an issue number (a positive integer, #N or work-N)")
        }
        if title != nil && issues.count != 1 { throw ValidationError("--title goes with exactly one issue") }
        if let branch {
            if issues.count != 1 || issues == ["-"] { throw ValidationError("--branch goes with exactly one issue") }
            if !Repository.isValidBranchName(branch) { throw ValidationError("--branch '\(branch)' is not a valid branch name") }
        }
        if let type, !Naming.isValidType(type) { throw ValidationError("--type '\(type)' must be lower-case letters, digits, '-' or '_'") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        if let agent, !spawn, AgentKind(rawValue: agent) == nil { throw ValidationError("--agent '\(agent)': ppds writes hooks for claude only (with --spawn, any agent from [agents.NAME])") }
        if spawn && !exec.isEmpty { throw ValidationError("--spawn and --exec do not go together: spawn runs the agent in tmux, --exec without a terminal") }
        if spawn && cd { throw ValidationError("--spawn and --cd do not go together; 'ppds attach' reaches the worker") }
    }

    func execute() throws {
        var numbers: [IssueNumber] = []
        var known: [IssueNumber: IssueInfo] = [:]
        for value in issues {
            if value == "-" {
                var lines: [String] = []
                while let line = readLine() { lines.append(line) }
                for entry in try Self.parseStdin(lines) {
                    numbers.append(entry.issue)
                    if let title = entry.title, known[entry.issue] == nil {
                        known[entry.issue] = IssueInfo(issue: entry.issue, title: title)
                    }
                }
            } else {
                numbers.append(IssueNumber(parsing: value)!)
            }
        }
        let (workspace, config) = try repo.configured()
        if fromIssues {
            let picked = try Self.pickFromTracker(workspace, config: config, filter: fromFilter)
            guard !picked.isEmpty else {
                if json { CLI.printJSON(OrderedJSON.document("results", .array([]))) } else { print("No unclaimed open issue matches; nothing was started.") }
                return
            }
            for info in picked {
                numbers.append(info.issue)
                known[info.issue] = info
            }
        }
        guard !numbers.isEmpty else { throw PPDSError.usage("no issues given") }
        if let title { known[numbers[0]] = IssueInfo(issue: numbers[0], title: title) }
        var request = StartWorkRequest(issues: numbers, base: base, known: known, type: type, jobs: jobs,
                                       offline: offline, runHooks: !noHooks, branch: branch, exec: exec,
                                       agent: spawn ? nil : agent.flatMap(AgentKind.init(rawValue:)).map { ($0, CLI.executablePath) })
        request.force = force
        let starter = StartWork(workspace: workspace, config: config)
        // Ctrl-C in a bulk start: say what happens to the work, then leave as interrupted.
        // The same command, flags and all (titles, --agent, --offline): what a rerun must repeat.
        let quoted = CommandLine.arguments.dropFirst().map { word in
            word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=#:@+,".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        let rerun = "ppds " + quoted.joined(separator: " ") + (issues.contains("-") ? " (with the same input)" : "")
        Self.onInterrupt(saying: "interrupted: issues already started keep their worktree and session; one caught half-way is rolled back by the next run (or by 'ppds doctor --fix'). To finish, run the same command again (it skips what exists): \(rerun)")
        let report = starter.report(request)
        sayOnInterrupt(nil)
        var spawned: [SpawnResult] = []
        if spawn {
            let ready = report.results.compactMap { result -> IssueNumber? in
                switch result.outcome {
                case .started(let session), .existing(let session): session.issue
                case .recreated(let session, _): session.issue
                case .failed, .claimedElsewhere: nil
                }
            }
            if !ready.isEmpty {
                do {
                    spawned = try Spawn(workspace: workspace, config: config)
                        .run(SpawnRequest(issues: ready, agent: .named(agent ?? AgentConfig.claude.name), offline: offline, executable: CLI.executablePath))
                } catch {
                    spawned = ready.map { SpawnResult(issue: $0, agent: agent, outcome: .failed(PPDSError.from(error))) }
                }
            }
        }
        Self.render(report, json: json, cd: cd, spawned: spawn ? spawned : nil)
        if spawn { SpawnCommand.render(spawned, json: json, document: false) }
        if let failure = report.failure { throw ExitCode(PPDSError(failure, "").exitCode) }
        if spawned.contains(where: { if case .failed = $0.outcome { true } else { false } }) { throw ExitCode(1) }
    }

    /// The report on stdout, each refusal once on stderr (a plain message with --json).
    static func render(_ report: StartWorkReport, json: Bool, cd: Bool, spawned: [SpawnResult]? = nil) {
        for warning in report.warnings { CLI.printError("warning: " + warning, prefixed: false) }
        if json {
            var out = report.json
            if let spawned { out["spawned"] = .array(spawned.map(\.json)) }
            CLI.printJSON(out)
        } else if cd {
            for result in report.results { CLI.printError(StartWorkText.describe(result), prefixed: false) }
            if let session = report.results.first?.session { print(session.worktree) }
        } else {
            for result in report.results where !result.isRefusal { print(StartWorkText.describe(result)) }
        }
        guard !cd else { return }
        for result in report.results {
            switch result.outcome {
            case .failed(let error): CLI.printError(json ? error.message : StartWorkText.describe(result), prefixed: json)
            case .claimedElsewhere(let message): CLI.printError(json ? message : StartWorkText.describe(result), prefixed: json)
            case .started, .existing, .recreated: break
            }
        }
    }

    /// `--from-issues`: the board's unclaimed open issues, in its order, at most `--limit`; their
    /// titles and labels come with them (no second question to gh per issue).
    static func pickFromTracker(_ workspace: Workspace, config: Config, filter: IssueQueryOptions) throws(PPDSError) -> [IssueInfo] {
        let board = try IssueBoard.load(workspace, config: config, query: IssueQuery(labels: filter.labels, search: filter.search, limit: max(filter.limit ?? 0, 100)))
        if let note = board.note { CLI.printError("warning: " + note, prefixed: true) }
        return board.startable(limit: filter.limit).map { IssueInfo(issue: $0.issue.number, title: $0.issue.title, labels: $0.issue.labels) }
    }

    /// On SIGINT: `message` on stderr (made safe to print now), then exit 130.
    static func onInterrupt(saying message: String) {
        sayOnInterrupt(TerminalText.block(message, prefix: "ppds: ") + "\n")
    }

    /// Lines of stdin: issue numbers separated by white space or commas, or `N title…` (a
    /// line whose first word is an issue number and whose next word is not: the rest of the
    /// line is the title). Empty lines are skipped.
    static func parseStdin(_ lines: [String]) throws(PPDSError) -> [(issue: IssueNumber, title: String?)] {
        var entries: [(issue: IssueNumber, title: String?)] = []
        let separator: (Character) -> Bool = { $0.isWhitespace || $0 == "," }
        for line in lines {
            let tokens = line.split(whereSeparator: separator)
            guard let first = tokens.first else { continue }
            guard let issue = IssueNumber(parsing: String(first)) else {
                throw PPDSError.usage("'\(first)' on stdin is not an issue number")
            }
            let numbers = tokens.compactMap { IssueNumber(parsing: String($0)) }
            if numbers.count == tokens.count {
                entries += numbers.map { ($0, nil) }
                continue
            }
            let leading: Substring = Substring(line).drop(while: separator)
            let afterFirst: Substring = leading.drop(while: { (c: Character) in !separator(c) })
            let rest: Substring = afterFirst.drop(while: separator)
            let title = String(rest).trimmingCharacters(in: .whitespacesAndNewlines)
            entries.append((issue, title.isEmpty ? nil : title))
        }
        return entries
    }
}
