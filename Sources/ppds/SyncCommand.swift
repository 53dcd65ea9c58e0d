import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import Replication

struct SyncCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Replicate this repository's sessions with other machines through a git remote (refs/ppds/*).",
        discussion: """
            Fetches refs/ppds/* from the remote, merges each session's history with the local file \
            (guidance is never lost; a pause wins over a worker's concurrent status; a finished \
            session stays finished), writes the files, and pushes without force, retrying when \
            another machine pushed first. Other machines' sessions are kept apart: 'status \
            --everywhere' shows them; guide, pause and resume reach them on their next sync.
            """)

    @Option(help: "The git remote. Default: registry.remote from the config, else origin.") var remote: String?
    @OptionGroup var repo: RepoOption
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let report = try Self.sync(repo: repo, remote: remote)
        if json {
            CLI.printJSON(report.json)
        } else {
            print(SyncText.render(report))
        }
        let config = try? repo.workspace().config()
        for conflict in report.conflicts where !json {
            // Claims prevent this only for starts made after registry.remote was set.
            let advice = config?.registryRemote == nil ? " Set registry.remote so start-work claims issues from now on." : ""
            CLI.printError("warning: " + (conflict.message ?? "\(conflict.issue.tag): conflict") + advice)
        }
        for result in report.sessions where !json && result.outcome != .conflict && result.outcome != .failed {
            if let message = result.message { CLI.printError((result.outcome == .refused ? "refused: " : "note: ") + TerminalText.escaped(message)) }
        }
        // A conflict is something found that a human must settle: exit 1, as for doctor.
        if !report.failures.isEmpty || !report.refused.isEmpty || !report.conflicts.isEmpty { throw ExitCode(.failed) }
    }

    /// One sync of the repository around the current folder (or `--repo`), for `sync` itself
    /// and the periodic sync of `wait`, `watch` and `serve`.
    static func sync(repo: RepoOption, remote: String?) throws(PPDSError) -> SyncReport {
        let (workspace, config) = try repo.configured()
        let machine = try Machine.current(home: workspace.store.home)
        return try RegistrySync(workspace: workspace, remote: RegistrySync.remoteName(given: remote, config: config), machine: machine).run()
    }
}
