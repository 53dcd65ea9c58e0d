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
            CancelCommand.self, PruneCommand.self, TrashCommand.self, RestoreCommand.self, SyncCommand.self, TrustCommand.self, DoctorCommand.self, MergedCommand.self, DemoCommand.self,
            PathCommand.self, ShellInitCommand.self, ListCommand.self, AdoptCommand.self, AgentHooksCommand.self, HookCommand.self,
        ]
    )

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // An agent hook must exit 0 whatever it is given: no argument parsing to fail.
        if arguments.first == HookCommand.configuration.commandName {
            HookRunner.run(Array(arguments.dropFirst()))
            Foundation.exit(0)
        }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        if let problem = CommandHints.problem(arguments, subcommands: names) {
            CLI.fail(PPDSError.usage(problem))
            exit(withError: ExitCode(64))
        }
        await main(nil)
    }
}
