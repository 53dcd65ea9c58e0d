import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct DoctorCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check git against the session files; --fix applies the repairs that lose nothing.")

    @OptionGroup var repo: RepoOption
    @Flag(help: "Repair what can be repaired without losing anything, then re-check.") var fix = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, config) = try repo.configured()
        var doctor = Doctor(workspace: workspace)
        if let staleAfter = config.staleAfter { doctor.staleAfter = staleAfter }
        let report = try doctor.run(fix: fix)
        if json {
            CLI.printJSON(report.json)
        } else {
            print(DoctorText.render(report, fixed: fix))
        }
        if !report.healthy { throw ExitCode(.failed) }
    }
}
