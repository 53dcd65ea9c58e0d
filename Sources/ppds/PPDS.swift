import ArgumentParser
import Foundation
import Agents
import WorkerSteps
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

@main
struct PPDS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppds",
        abstract: "Git worktrees for parallel work sessions: start, watch, ship and prune without losing work.",
        version: ppdsVersion,
        // Help lists the commands by who uses them.
        groupedSubcommands: [
            CommandGroup(name: "worker", subcommands: [UpdateCommand.self, WaitCommand.self, ShipCommand.self, PathCommand.self]),
            CommandGroup(name: "orchestrator", subcommands: [
                StatusCommand.self, ListCommand.self, ShowCommand.self, WatchCommand.self, ServeCommand.self, GuideCommand.self,
                IssuesCommand.self, NextCommand.self, PlanCommand.self, ApproveCommand.self, ReviseCommand.self, PauseCommand.self, ResumeCommand.self,
                MCPCommand.self, SpawnCommand.self, AttachCommand.self, LogsCommand.self, SendCommand.self, StopCommand.self,
            ]),
            CommandGroup(name: "lifecycle", subcommands: [
                StartWorkCommand.self, AdoptCommand.self, CancelCommand.self, PruneCommand.self, TrashCommand.self, RestoreCommand.self,
                MergedCommand.self, DoctorCommand.self,
            ]),
            CommandGroup(name: "machines", subcommands: [SyncCommand.self, MachinesCommand.self]),
            CommandGroup(name: "setup", subcommands: [
                TrustCommand.self, AgentHooksCommand.self, ShellInitCommand.self, DemoCommand.self, HookCommand.self, AgentRunCommand.self,
            ]),
        ]
    )

    static func main() async {
        // An agent's shell tool reads through a pipe: every line must arrive when it is printed,
        // not when the command exits (a pipe is fully buffered by default).
        lineBufferStandardOutput()
        var arguments = Array(CommandLine.arguments.dropFirst())
        // An agent hook must exit 0 whatever it is given: no argument parsing to fail.
        if arguments.first == HookCommand.configuration.commandName {
            HookRunner.run(Array(arguments.dropFirst()))
            Foundation.exit(0)
        }
        if let index = arguments.prefix(while: { $0 != "--" && $0 != "--exec" }).firstIndex(of: "--verbose") {
            arguments.remove(at: index)
            CLI.verbose = true
        }
        // bash's script is ppds's own (the generated one, with candidates kept literal).
        if let shell = Completions.requestedShell(arguments), shell == .bash {
            print(Completions.literalBash(PPDS.completionScript(for: .bash)), terminator: "")
            Foundation.exit(0)
        }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        // A usage error comes before any command exists: JSON when the command named takes
        // --json and was given it.
        let json = CommandHints.asksForJSON(arguments, root: PPDS.self)
        if let problem = CommandHints.problem(arguments, subcommands: names) {
            exit(withError: CLI.exitCode(for: PPDSError.usage(problem), json: json))
        }
        // Parsed once, here, so a refusal can be said better than the parser says it; then run
        // as ArgumentParser's own main would.
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch where exitCode(for: error) != .success {
            // An option given another option as its value ('--base --upload-pack=…') is
            // the parser's to name.
            if !message(for: error).contains("Missing value"), let problem = CommandHints.unknownOption(arguments, root: PPDS.self) {
                exit(withError: CLI.exitCode(for: PPDSError.usage(problem), json: json))
            }
            // With --json, a usage error is a JSON document too (the parser prints text only).
            if json {
                exit(withError: CLI.exitCode(for: PPDSError.usage(message(for: error)), json: true))
            }
            exit(withError: error)
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
