import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import View
import Agents

struct PlanCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show a session's plan (attached with 'update --status planning_complete --plan FILE').",
        discussion: "Answer it with 'ppds approve <issue>' or 'ppds revise <issue> MESSAGE'.")

    @Argument(help: "The issue. Default: the session whose worktree you are in.") var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
    @Flag(help: "Every version of the plan, each with its answers.") var history = false
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
        let session = try PlanReview.session(issue, in: store, workspace: workspace)
        guard let latest = session.latestPlan else {
            throw PPDSError.notFound("\(issue.tag) has no plan attached (it is \(session.status.fileValue)); a worker attaches one with 'ppds update --status planning_complete --plan FILE'")
        }
        if json {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["issue"] = .string(issue.tag)
            out["status"] = .string(session.status.fileValue)
            out["summary"] = session.planSummary?.json ?? .null
            out["plan"] = latest.json
            if history { out["history"] = .array(session.plans.map(\.json)) }
            CLI.printJSON(out)
        } else {
            print(history ? PlanText.history(session) : PlanText.render(latest, of: session))
            if session.planWaitsForReview {
                print("Answer it: 'ppds approve \(issue.value) [MESSAGE]' or 'ppds revise \(issue.value) MESSAGE'.")
            }
        }
    }
}
