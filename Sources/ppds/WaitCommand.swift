import ArgumentParser
import Lifecycle
import SessionKit
import Support

struct WaitCommand: JSONCommand, SessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "A worker waits for guidance, or for a resume after a pause, and prints it.",
        discussion: """
            Returns at once when guidance is already waiting unread. Exit codes: 0 guidance or a \
            resume, 2 the session is finished, 3 the timeout passed. --json prints \
            {"version":1,"outcome":…,"guidance":[…]}.
            """)

    @OptionGroup var target: CurrentSessionTarget
    @OptionGroup var sync: SyncIntervalOption
    @Option(help: "Give up after this long (90s, 10m, 1h; a bare number is minutes, as everywhere in ppds). Default: wait until something comes.")
    var timeout: DurationArgument?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
        sync.start(repo: repo)
        try GuidanceDelivery.waitAndDeliver(issue, store: store, workspace: workspace, timeout: timeout?.seconds, json: json)
    }
}
