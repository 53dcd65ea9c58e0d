import ArgumentParser
import Foundation
import PPDSServer
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ServeCommand: AsyncPPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The live API, server-sent events and a dashboard in the browser.")

    @OptionGroup var repo: RepoOption
    @OptionGroup var sync: SyncIntervalOption
    @OptionGroup var prRefresh: PRIntervalOption
    @Option(help: "The address to bind. Loopback or not, every request needs the token (a new one per start) in $PPDS_HOME/serve-token.") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one).") var port = 3847
    @Flag(help: "When a session becomes stuck or complete: a desktop notification (notify-send) and hooks.on_stuck / on_complete.") var notify = false
    @Option(help: "Seconds between checks when nothing signals a change (the polling fallback).") var interval: Double = 5
    @Option(help: "Connections served at once (fewer when the open-file limit is low); the next ones get 503.") var maxConnections = 128
    @Option(help: "Seconds a connection may take to send a request, or stay idle, before it is closed.") var idleTimeout: Double = 10

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 100000") }
        guard idleTimeout >= 0.1 && idleTimeout <= 3600 else { throw ValidationError("--idle-timeout must be between 0.1 and 3600 seconds") }
    }

    func execute() async throws {
        let (workspace, config) = try repo.configured()
        sync.start(repo: repo)
        prRefresh.start(workspace)
        var options = APIServer.Options()
        options.host = host
        options.port = port
        options.notify = notify
        options.interval = interval
        options.maxConnections = maxConnections
        options.idleTimeout = idleTimeout
        options.status = CLI.statusOptions(staleAfter: nil, config: config)
        let home = workspace.store.home
        let server = try APIServer(workspace: workspace, config: config, options: options)
        let token = server.token
        try await server.run { url in
            // The dashboard's URL carries the token once: opening it trades the token for a
            // cookie. Scripts send 'Authorization: Bearer' with the token file's content.
            print("ppds serve: listening on \(url) (dashboard at \(url)/?token=\(token) ; "
                  + "scripts: Authorization: Bearer <\(TerminalText.escaped(home))/serve-token>)")
            fflush(nil)
        }
    }
}
