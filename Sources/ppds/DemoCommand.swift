import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole lifecycle on a throwaway repository: bulk start, stuck, guide, ship, merge, prune.")

    @Flag(help: "Keep the temporary repository and PPDS_HOME afterwards.") var keep = false

    func run() throws {
        try CLI.run {
            try Demo(keep: keep, color: CLI.useColor).run()
        }
    }
}
