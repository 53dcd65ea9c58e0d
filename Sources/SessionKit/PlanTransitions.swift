#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

// The plan review's transitions (`SessionChange.submitPlan`, `.answerPlan`), called from
// `Session.applying`, which has already refused a finished session.
extension Session {
    private func planRefusal(_ kind: TransitionError.Kind, _ message: String) -> TransitionError {
        TransitionError(kind: kind, message: "\(issue.tag): \(message)")
    }

    /// The plan as the next version, and the session at planning_complete (a stuck question
    /// is over, as with any update).
    mutating func attachPlan(_ text: String, at now: Date) throws(TransitionError) {
        guard !text.trimmingWhitespaceAndNewlines().isEmpty else {
            throw planRefusal(.emptyPlan, "the plan is empty; write it to a file and pass --plan FILE")
        }
        let size = text.utf8.count
        guard size <= PlanVersion.maxBytes else {
            throw planRefusal(.planTooLarge, "the plan is \(size) bytes; a plan may have at most \(PlanVersion.maxBytes) bytes (shorten it, or link to a longer document in it)")
        }
        plans.append(PlanVersion(version: (plans.last?.version ?? 0) + 1, text: text, at: now))
        status = .planningComplete
        stuck = nil
        pausedFrom = nil
        try checkPlanRoom()
    }

    /// Records the answer on the latest version, relays it as guidance, and moves the session:
    /// approved to working, revise back to planning.
    mutating func answerPlan(_ verdict: PlanAnswer.Verdict, message: String?, version: Int?, by: PlanReviewer,
                             at now: Date) throws(TransitionError) {
        let words = message?.trimmingWhitespaceAndNewlines().isEmpty == false ? message : nil
        let command = verdict == .approved ? "approve" : "revise"
        guard status == .planningComplete else {
            let next = status == .paused ? "resume it first ('ppds resume \(issue.value)')" : "'ppds guide \(issue.value)' sends it a message"
            throw planRefusal(.noPlanWaiting, "the session is \(status.fileValue), not planning_complete: no plan waits for review; \(next)")
        }
        guard let latest = plans.last else {
            throw planRefusal(.noPlanWaiting, "no plan is attached; the worker attaches one with 'ppds update --status planning_complete --plan FILE' ('ppds guide \(issue.value)' asks for it)")
        }
        if let version, version != latest.version {
            throw planRefusal(.stalePlan, "plan v\(version) was replaced by v\(latest.version); read it with 'ppds plan \(issue.value)', then '\(command) \(issue.value) --version \(latest.version)'")
        }
        if verdict == .revise && words == nil {
            throw planRefusal(.emptyMessage, "'revise' needs a message saying what to change")
        }
        let relayed: String
        switch verdict {
        case .approved:
            relayed = "Plan v\(latest.version) approved: implement it." + (words.map { " The reviewer adds: \($0)" } ?? "")
        case .revise:
            // One line: relays print each message on a line of its own.
            relayed = "Plan v\(latest.version) sent back with requested changes: \(words!) "
                + "(revise the plan, then attach the new version: ppds update --status planning_complete --plan FILE)"
        }
        let guidanceItem = Guidance(id: Guidance.newID(), message: relayed, at: now)
        guidance.append(guidanceItem)
        plans[plans.count - 1].answers.append(PlanAnswer(verdict: verdict, message: words, at: now, by: by, guidanceID: guidanceItem.id))
        status = verdict == .approved ? .working : .planning
        try checkPlanRoom()
    }

    /// Plans and guidance share half the file limit, so the read marks added later still fit.
    private func checkPlanRoom() throws(TransitionError) {
        guard encoded().count <= Session.maxFileSize / 2 else {
            throw planRefusal(.planTooLarge, "the session file would grow past \(Session.maxFileSize / 2) bytes of plans and guidance (\(plans.count) plan versions); start a new session or shorten the plan")
        }
    }
}
