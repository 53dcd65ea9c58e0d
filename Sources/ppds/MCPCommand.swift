import ArgumentParser
import Config
import Foundation
import Lifecycle
import PPDSMCP
import Support
import Agents
import Forge
import LifecycleCore
import Replication

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve ppds to an orchestrating agent over MCP (stdio): the verbs as tools, the sessions as resources.",
        discussion: """
            'ppds mcp' speaks MCP on stdin/stdout for the repository of the current folder (or --repo). \
            'ppds mcp install claude --write' adds it to the repository's .mcp.json for Claude Code.
            """,
        subcommands: [MCPServeCommand.self, MCPInstallCommand.self],
        defaultSubcommand: MCPServeCommand.self)
}

struct MCPServeCommand: AsyncPPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Speak MCP on stdin/stdout until the client closes it.")

    @OptionGroup var repo: RepoOption

    func execute() async throws {
        let (workspace, config) = try repo.configured()
        try await PPDSMCPServer.run(workspace: workspace, config: config, version: PPDS.configuration.version)
    }
}

struct MCPInstallCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Print, or merge into the repository's .mcp.json, the entry that runs 'ppds mcp'.",
        discussion: "Other servers and keys in .mcp.json are kept; a rerun changes nothing.")

    @Argument(help: "The MCP client: claude.") var client: AgentKind
    @OptionGroup var repo: RepoOption
    @Flag(help: "Merge the entry into <repository>/.mcp.json instead of printing it.") var write = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        // The committed file names ppds by name when this ppds is the one on PATH, so it
        // works on every teammate's machine; else by its absolute path.
        let executable = CLI.executablePath
        let onPath = ProcessRunner.find("ppds").map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        let command = onPath == URL(fileURLWithPath: executable).resolvingSymlinksInPath().path ? "ppds" : executable
        guard write else {
            CLI.printSettings(MCPClientConfig.document(command: command), json: json,
                              document: .document("client", .string(client.rawValue)), field: "config")
            return
        }
        let workspace = try repo.workspace()
        let done = try MCPClientConfig.install(repoRoot: workspace.repoRoot, command: command)
        if json {
            CLI.printJSON(.document("result", done.json))
        } else {
            print(TerminalText.escaped(done.changed ? "wrote the ppds MCP server into \(done.file)" : "the ppds MCP server is already in \(done.file)"))
        }
    }
}
