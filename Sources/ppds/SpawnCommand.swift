import ArgumentParser
import Foundation
import Agents
import Config
import Lifecycle
import LifecycleCore
import SessionKit
import Support

struct SpawnCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "spawn",
        abstract: "Start each session's worker agent in its own tmux window (claude by default), with a prompt made from the issue.",
        discussion: """
            ppds spawn <issue>... [--agent NAME | -- CMD ARGS...]. One tmux session per repository, one window per issue (work-N), in the worktree, on ppds's own \
            tmux server ('tmux -L ppds', or PPDS_TMUX_SOCKET). The agent runs under 'ppds agent-run', which \
            records it in the session (agentProcess) and keeps the pane's output in $PPDS_HOME/logs/work-N.agent.log. \
            Reach it with 'ppds attach', 'ppds logs', 'ppds send'; end it with 'ppds stop'.
            """)

    // One positional list: swift-argument-parser allows no positional after an array of them, and
    // puts the words after `--` in it too; `split` takes them back off by the raw command line.
    @Argument(help: ArgumentHelp("The issues (456, #456 or work-456), each with a session ('ppds start-work'); then, after '--', the agent's command and arguments (run without a shell).",
                                 valueName: "issue"))
    var words: [String] = []
    @OptionGroup var repo: RepoOption
    @Option(help: "The agent: 'claude' (the default, with its hooks) or a name from [agents.NAME] in the config.") var agent: String?
    @Option(help: ArgumentHelp("A prompt template that replaces the project's (.ppds/prompt.md) and the built-in one.", valueName: "file"))
    var prompt: String?
    @Option(name: .customLong("prompt-via"), help: "With '-- CMD': how the command gets the prompt: argv (its last argument), stdin, or none.")
    var promptVia: String = "none"
    @Flag(help: "Do not ask gh for the issue's body.") var offline = false
    @OptionGroup var output: OutputOptions

    var split: (issues: [String], command: [String]) {
        let raw = CommandLine.arguments
        let after = raw.firstIndex(of: "--").map { raw.count - $0 - 1 } ?? 0
        let count = min(after, words.count)
        return (Array(words.dropLast(count)), Array(words.suffix(count)))
    }
    var command: [String] { split.command }
    var issues: [IssueNumber] { split.issues.compactMap { IssueNumber(parsing: $0) } }

    func validate() throws {
        for word in split.issues where IssueNumber(parsing: word) == nil {
            throw ValidationError("'\(word)' is not an issue number (a positive integer, #N or work-N); the agent's command goes after '--'")
        }
        if issues.isEmpty { throw ValidationError("give the issues to spawn workers for") }
        if agent != nil && !command.isEmpty { throw ValidationError("--agent and a command after '--' do not go together") }
        if AgentConfig.PromptDelivery(rawValue: promptVia) == nil { throw ValidationError("--prompt-via must be argv, stdin or none") }
    }

    func execute() throws {
        let (workspace, config) = try repo.configured()
        let template = try prompt.map { file throws(PPDSError) -> String in try Self.readPrompt(file) }
        let choice: AgentChoice = command.isEmpty ? .named(agent ?? AgentConfig.claude.name)
            : .command(command, delivery: AgentConfig.PromptDelivery(rawValue: promptVia)!)
        let results = try Spawn(workspace: workspace, config: config)
            .run(SpawnRequest(issues: issues, agent: choice, promptTemplate: template, offline: offline, executable: CLI.executablePath))
        Self.render(results, json: json)
        if results.contains(where: { if case .failed = $0.outcome { true } else { false } }) {
            let reasons = results.compactMap { if case .failed(let error) = $0.outcome { error.reason } else { nil } }
            throw ExitCode(results.count == 1 ? PPDSError(reasons[0], "").exitCode : 1)
        }
    }

    static func readPrompt(_ file: String) throws(PPDSError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PPDSError.notFound("--prompt \(file): no such file or it cannot be read")
        }
        guard data.count <= 1 << 20 else { throw PPDSError.invalid("--prompt \(file): larger than 1 MiB") }
        return String(decoding: data, as: UTF8.self)
    }

    /// `document: false` when the JSON goes inside another command's document.
    static func render(_ results: [SpawnResult], json: Bool, document: Bool = true) {
        if json && document { CLI.printJSON(OrderedJSON.document("results", .array(results.map(\.json)))) }
        for result in results {
            for warning in result.warnings { CLI.printError("warning: \(result.issue.tag): " + warning, prefixed: false) }
            switch result.outcome {
            case .spawned(let pane):
                if !json {
                    print(TerminalText.escaped("✔ \(result.issue.tag) \(result.agent ?? "agent") spawned in tmux window \(pane.session):\(result.issue.sessionID) (pid \(pane.pid)); 'ppds attach \(result.issue.value)' to reach it"))
                }
            case .failed(let error):
                CLI.printError(json ? error.message : "✘ \(result.issue.tag): \(error.message)", prefixed: json)
            }
        }
    }
}

/// The pane's first process (hidden): `ppds agent-run --launch FILE`, written by `spawn`.
struct AgentRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent-run", abstract: "Supervise a spawned agent (run by 'ppds spawn' in its tmux pane).",
                                                    shouldDisplay: false)

    @Option(help: "The launch file 'ppds spawn' wrote.") var launch: String

    func run() throws {
        do {
            let launched = try AgentLaunch.take(launch)
            let status = try AgentSupervisor.run(launched) { line in CLI.printError(line, prefixed: false) }
            throw ExitCode(status)
        } catch let error as PPDSError {
            CLI.printError(error.message)
            // Seen in the pane before it closes.
            sleep(3)
            throw ExitCode(error.exitCode)
        }
    }
}
