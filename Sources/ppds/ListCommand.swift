import ArgumentParser
import Config
import Lifecycle
import Support
import View

struct ListCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "One line per session (status --table --dirty).")

    @OptionGroup var repo: RepoOption

    func execute() throws {
        let (workspace, config) = try repo.configured()
        var options = CLI.statusOptions(staleAfter: nil, config: config)
        options.includeDirty = true
        print(StatusTable().render(try StatusReport.build(workspace, options: options)))
    }
}
