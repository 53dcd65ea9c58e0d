import ArgumentParser
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
            StatusCommand.self, WatchCommand.self, ServeCommand.self, ShowCommand.self, UpdateCommand.self, GuideCommand.self,
            PauseCommand.self, ResumeCommand.self, StartWorkCommand.self, ShipCommand.self,
            CancelCommand.self, PruneCommand.self, TrustCommand.self, DoctorCommand.self, MergedCommand.self, DemoCommand.self,
        ]
    )
}
