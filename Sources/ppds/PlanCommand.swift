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
        let document = try PlanReview.document(session, history: history)
        if json {
            CLI.printJSON(document)
        } else if let latest = session.latestPlan {
            print(history ? PlanText.history(session) : PlanText.render(latest, of: session))
            if session.planWaitsForReview {
                print("Answer it: 'ppds approve \(issue.value) [MESSAGE]' or 'ppds revise \(issue.value) MESSAGE'.")
            }
        }
    }
}
