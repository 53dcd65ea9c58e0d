import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct TrustCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust the repository's .ppds.toml as it is now, so its hooks and spawn command may run.")

    @OptionGroup var repo: RepoOption

    func execute() throws {
        let workspace = try repo.workspace()
        let file = workspace.repoRoot + "/.ppds.toml"
        let digest = try Trust.trust(repoRoot: workspace.repoRoot, home: workspace.store.home)
        print("trusted \(TerminalText.escaped(file)) (sha256 \(digest.prefix(12))…); any change to it needs 'ppds trust' again")
    }
}
