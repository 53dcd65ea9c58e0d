import ArgumentParser
import Config
import Lifecycle
import Support
import View
import Forge

/// Options shared by `ppds issues` and `start-work --from-issues`: what to ask the tracker.
struct IssueQueryOptions: ParsableArguments {
    @Option(name: .customLong("label"), help: "Only issues with this label (repeat for several: all must match).") var labels: [String] = []
    @Option(help: "Only issues matching this search (GitHub's search syntax).") var search: String?
    @Option(help: "At most this many issues.") var limit: Int?

    func validate() throws {
        if let limit, !(1...1000).contains(limit) { throw ValidationError("--limit must be between 1 and 1000") }
    }

    func query(allStates: Bool = false, limit fallback: Int = IssueQuery.defaultLimit) -> IssueQuery {
        IssueQuery(labels: labels, search: search, limit: limit ?? fallback, allStates: allStates)
    }
}

struct IssuesCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "issues",
        abstract: "The tracker's open issues (from gh), each with its session here and elsewhere, unclaimed first.")

    @OptionGroup var repo: RepoOption
    @OptionGroup var filter: IssueQueryOptions
    @Flag(name: .customLong("all-states"), help: "Closed issues too.") var allStates = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let workspace = try repo.workspace()
        let config = try workspace.config()
        let board = try IssueBoard.load(workspace, config: config, query: filter.query(allStates: allStates))
        if json {
            CLI.printJSON(board.json)
        } else {
            print(IssuesText().render(board))
        }
    }
}
