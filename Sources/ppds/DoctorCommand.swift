import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check git against the session files; --fix applies the repairs that lose nothing.")

    @OptionGroup var repo: RepoOption
    @Flag(help: "Repair what can be repaired without losing anything, then re-check.") var fix = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            var doctor = Doctor(workspace: workspace)
            if let staleAfter = config.staleAfter { doctor.staleAfter = staleAfter }
            let report = try doctor.run(fix: fix)
            if json {
                CLI.printJSON(report.json)
            } else {
                print(DoctorText.render(report, fixed: fix))
            }
            if !report.healthy { throw ExitCode(1) }
        }
    }
}
