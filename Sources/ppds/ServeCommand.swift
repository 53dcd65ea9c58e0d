import ArgumentParser
import Foundation
import PPDSServer
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The live API, server-sent events and a dashboard in the browser.")

    @OptionGroup var repo: RepoOption
    @OptionGroup var sync: SyncIntervalOption
    @Option(help: "The address to bind. Anything but loopback requires the bearer token in $PPDS_HOME/serve-token.") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one).") var port = 3847
    @Flag(help: "When a session becomes stuck or complete: a desktop notification (notify-send) and hooks.on_stuck / on_complete.") var notify = false
    @Option(help: "Seconds between checks when nothing signals a change (the polling fallback).") var interval: Double = 5

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
    }

    func run() async throws {
        let workspace: Workspace
        let config: Config
        do {
            workspace = try repo.workspace()
            config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
        } catch {
            CLI.printError(error.message)
            throw ExitCode(error.exitCode)
        }
        sync.start(repo: repo)
        var options = APIServer.Options()
        options.host = host
        options.port = port
        options.notify = notify
        options.interval = interval
        options.status = CLI.statusOptions(staleAfter: nil, config: config)
        let loopback = Security.isLoopback(host)
        let home = workspace.store.home
        do {
            try await APIServer(workspace: workspace, config: config, options: options).run { url in
                print("ppds serve: listening on \(url) (dashboard at \(url)/)" + (loopback ? "" : "; requests need the bearer token in \(TerminalText.escaped(home))/serve-token"))
                fflush(nil)
            }
        } catch {
            CLI.printError(error.message)
            throw ExitCode(error.exitCode)
        }
    }
}
