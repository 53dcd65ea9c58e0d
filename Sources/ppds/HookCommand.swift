import ArgumentParser
import Agents
import WorkerSteps

/// `ppds hook claude [<issue>]`: what the entries `agent-hooks` writes run. Hidden: Claude Code
/// calls it, people do not. `PPDS.main` sends it here before argument parsing, so no argument
/// can make it exit non-zero (exit 2 would block the prompt or the stop).
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Run by agent hooks: reads the hook's JSON payload on stdin and updates the session.",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough) var words: [String] = []

    func run() throws { HookRunner.run(words) }
}
