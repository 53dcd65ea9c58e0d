import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import LifecycleCore
import Agents

extension AgentKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

struct AgentHooksCommand: JSONCommand, SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent-hooks",
        abstract: "Print, or write into the session's worktree, Claude Code hooks that keep the session's status current.",
        discussion: """
            Notification (Claude waits for you) → stuck, with Claude's message as the reason; UserPromptSubmit → working; \
            Stop and PostToolUse → working again when the stuck state was the hook's own. --write merges them into \
            <worktree>/.claude/settings.local.json (other settings and hooks are kept) and makes git ignore that file.
            """)

    @Argument(help: "The agent: claude.") var agent: AgentKind
    @OptionGroup var target: CurrentSessionTarget
    @Flag(help: "Write the hooks into the worktree's .claude/settings.local.json instead of printing them.") var write = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (store, scoped, issue) = try CLI.target(issue, repo: repo)
        let session = try PPDSError.wrapping { try store.load(issue) }
        try scoped?.requireOwns(session)
        let executable = CLI.executablePath
        guard write else {
            CLI.printSettings(ClaudeSettings.entries(command: ClaudeSettings.command(executable: executable, issue: issue)), json: json,
                              document: .document("issue", .string(issue.tag)), field: "settings")
            return
        }
        let workspace = try scoped ?? Workspace.locate(repo: session.worktree)
        let done = try AgentHooks.install(for: session, workspace: workspace, executable: executable)
        if json {
            var out = OrderedJSON.document("issue", .string(issue.tag))
            out["result"] = done.json
            CLI.printJSON(out)
            return
        }
        print(TerminalText.escaped(done.changed ? "\(issue.tag): wrote Claude Code hooks into \(done.file)"
                                                : "\(issue.tag): Claude Code hooks already current in \(done.file)"))
        if let exclude = done.excludedIn {
            print(TerminalText.escaped("added \(ClaudeSettings.excludeLine) to \(exclude), so git ignores it in every worktree"))
        }
    }
}

extension CLI {
    /// The absolute path of this ppds, for commands other programs run later (agent hooks):
    /// as invoked (so a stable link such as /usr/local/bin/ppds stays the link), else found
    /// on PATH, else the running binary.
    static var executablePath: String {
        let invoked = CommandLine.arguments.first ?? "ppds"
        let cwd = FileManager.default.currentDirectoryPath
        let candidate = invoked.contains("/") ? invoked : ProcessRunner.find(invoked)
        if let candidate {
            let absolute = URL(fileURLWithPath: Workspace.absolute(candidate, from: cwd)).standardizedFileURL.path
            if FileManager.default.isExecutableFile(atPath: absolute) { return absolute }
        }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? invoked
    }
}
