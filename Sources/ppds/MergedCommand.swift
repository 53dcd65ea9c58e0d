import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct MergedCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "merged",
        abstract: "Which branches are merged into the base, and how it was detected (the prune ladder).",
        discussion: "Cheapest check first: same-commit, ancestor, no-changes, tree-equal, merge-adds-nothing (squash), patch-id (rebase).")

    @Argument(help: "Branches to check. Default: every local branch.") var branches: [String] = []
    @OptionGroup var repo: RepoOption
    @Option(help: "The base. Default: config, then origin/HEAD, origin/main, then the local default.", completion: Completions.refKind) var base: String?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, config) = try repo.configured()
        let result = try MergeClassification.run(workspace, config: config, base: base, branches: branches)
        if json {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["base"] = .string(result.base)
            out["branches"] = .array(result.items.map(\.json))
            out["hints"] = .array(result.hints.map(\.json))
            CLI.printJSON(out)
        } else {
            for item in result.items {
                print("\(TerminalText.escaped(item.branch))\t\(item.merged?.rawValue ?? (item.error.map { "error: \(TerminalText.escaped($0))" } ?? "not merged"))")
            }
        }
        if !json { for hint in result.hints { CLI.printError("hint: " + hint.message) } }
        if result.items.contains(where: { $0.error != nil }) { throw ExitCode(.failed) }
    }
}
