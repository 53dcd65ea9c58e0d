import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct DemoCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole lifecycle on a throwaway repository: bulk start, stuck, guide, ship, merge, prune.")

    @Flag(help: "Keep the temporary repository and PPDS_HOME afterwards.") var keep = false
    @Option(help: "With 2: two machines sharing one git remote; one gets stuck and is guided from the other.") var machines = 1

    func validate() throws {
        guard machines == 1 || machines == 2 else { throw ValidationError("--machines must be 1 or 2") }
    }

    func execute() throws {
        if machines == 2 {
            try MachinesDemo(keep: keep, color: CLI.useColor).run()
        } else {
            try Demo(keep: keep, color: CLI.useColor).run()
        }
    }
}
