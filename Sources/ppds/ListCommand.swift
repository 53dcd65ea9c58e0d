import ArgumentParser
import Config
import Lifecycle
import Support
import View

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "One line per session (status --table --dirty).")

    @OptionGroup var repo: RepoOption

    func run() throws {
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            var options = CLI.statusOptions(staleAfter: nil, config: config)
            options.includeDirty = true
            print(StatusTable().render(try StatusReport.build(workspace, options: options)))
        }
    }
}
