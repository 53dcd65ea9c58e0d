import ArgumentParser
import Foundation
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
        version: "0.1.0",
        subcommands: [
            StatusCommand.self, WatchCommand.self, ServeCommand.self, ShowCommand.self, UpdateCommand.self, WaitCommand.self, GuideCommand.self, NextCommand.self,
            PauseCommand.self, ResumeCommand.self, StartWorkCommand.self, ShipCommand.self,
            CancelCommand.self, PruneCommand.self, TrashCommand.self, RestoreCommand.self, SyncCommand.self, MachinesCommand.self, TrustCommand.self, DoctorCommand.self, MergedCommand.self, DemoCommand.self,
            PathCommand.self, ShellInitCommand.self, ListCommand.self, AdoptCommand.self, AgentHooksCommand.self, HookCommand.self, MCPCommand.self,
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
        if let problem = CommandHints.problem(arguments, subcommands: names) {
            CLI.fail(PPDSError.usage(problem))
            exit(withError: ExitCode(64))
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
                CLI.fail(PPDSError.usage(problem))
                exit(withError: ExitCode(64))
            }
            // With --json, a usage error is a JSON document too (the parser prints text only).
            if arguments.prefix(while: { $0 != "--" && $0 != "--exec" }).contains("--json") {
                CLI.fail(PPDSError.usage(message(for: error)))
                exit(withError: ExitCode(64))
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
