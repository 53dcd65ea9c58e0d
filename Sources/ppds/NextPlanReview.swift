import Foundation
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents

/// `ppds next` on a plan waiting for review: shows it (on stderr: stdout stays the command's
/// answer), reads one line, and approves or sends it back.
enum NextPlanReview {
    enum Outcome { case answer, skip, endOfInput }

    static func review(_ session: Session, store: SessionStore, workspace: Workspace?) throws -> Outcome {
        guard let plan = session.latestPlan else { return .skip }
        CLI.printError(PlanText.render(plan, of: session), prefixed: false)
        CLI.printError("Approve it ('a'), or type the changes you want (empty line: skip): ", prefixed: false, newline: false)
        guard let line = readLine(strippingNewline: true) else {
            CLI.printError("", prefixed: false)
            return .endOfInput
        }
        if isatty(STDIN_FILENO) == 0 { CLI.printError(TerminalText.escaped(line), prefixed: false) }
        let words = line.trimmingCharacters(in: .whitespaces)
        guard !words.isEmpty else { return .skip }
        let verdict: PlanAnswer.Verdict = ["a", "approve", "approved"].contains(words.lowercased()) ? .approved : .revise
        do {
            // The version shown is the version answered: a plan replaced meanwhile is refused.
            let done = try PlanReview.answer(verdict, message: verdict == .approved ? nil : words, version: plan.version,
                                             issue: session.issue, in: store, workspace: workspace, by: PlanReview.reviewer(home: store.home))
            let what = verdict == .approved ? "approved" : "sent back"
            print(TerminalText.escaped("\(session.issue.tag) plan v\(done.version.version) \(what); the session is \(done.session.status.fileValue)"))
            return .answer
        } catch {
            CLI.printError(PPDSError.from(error).message)
            return .skip
        }
    }
}
