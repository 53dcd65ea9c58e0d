import Foundation
import Hummingbird
import Lifecycle
import SessionKit
import Support
import View
import Agents

/// Plan review over HTTP: the same Lifecycle operations as `ppds plan`, `approve` and `revise`.
/// The writes pass the same token/cookie and Origin checks as every other write (Security).
extension Handlers {
    /// `GET /api/v1/sessions/:issue/plan`: the latest version, its summary and every version.
    func plan(_ issue: IssueNumber) async throws -> Response {
        let workspace = workspace
        let session = try await offload { () throws -> Session in
            guard let session = try workspace.store.loadIfPresent(issue) else { throw APIError(.notFound, "no session for \(issue.tag)") }
            try workspace.requireOwns(session)
            return session
        }
        guard let latest = session.latestPlan else {
            throw APIError(.notFound, "\(issue.tag) has no plan attached (it is \(session.status.fileValue))")
        }
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["issue"] = .string(issue.tag)
        out["status"] = .string(session.status.fileValue)
        out["summary"] = session.planSummary?.json ?? .null
        out["plan"] = latest.json
        out["history"] = .array(session.plans.map(\.json))
        return json(out)
    }

    /// `POST …/status` with `{"status": "planning_complete", "plan": "…", "force"?}`: a worker
    /// attaches its plan (bounded by the request body's limit as well as the plan's).
    func planSubmission(_ body: [String: JSONValue]) throws(APIError) -> SessionChange {
        guard let plan = body["plan"]?.stringValue else { throw APIError(.usage, "'plan' must be a string") }
        guard body["status"]?.stringValue.flatMap(SessionStatus.init(userValue:)) == .planningComplete else {
            throw APIError(.usage, "a 'plan' goes with \"status\": \"planning_complete\"")
        }
        for key in ["reason", "context", "options", "pr"] where body[key] != nil && body[key] != .null {
            throw APIError(.usage, "'\(key)' does not go with a 'plan'")
        }
        guard !plan.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError(.usage, "the plan is empty") }
        guard plan.utf8.count <= PlanVersion.maxBytes else {
            throw APIError(.usage, "the plan is \(plan.utf8.count) bytes; a plan may have at most \(PlanVersion.maxBytes) bytes")
        }
        return .submitPlan(text: plan, force: body["force"] == .bool(true))
    }

    /// `POST /api/v1/sessions/:issue/approve` (`{"message"?, "version"?}`) and `…/revise`
    /// (`{"message", "version"?}`). `version` is the plan the page showed: a newer one is a conflict.
    func answerPlan(_ issue: IssueNumber, verdict: PlanAnswer.Verdict, body: [String: JSONValue]) async throws -> Response {
        var message: String?
        if let value = body["message"], !value.isNull {
            guard let text = value.stringValue else { throw APIError(.usage, "'message' must be a string") }
            message = text
        }
        var version: Int?
        if let value = body["version"], !value.isNull {
            guard case .int(let number) = value, number >= 1, number <= Int64(Int32.max) else {
                throw APIError(.usage, "'version' must be a positive whole number (the plan version shown)")
            }
            version = Int(number)
        }
        if verdict == .revise, (message ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError(.usage, "'message' is required: say what to change")
        }
        let workspace = workspace, words = message, shown = version
        let done = try await offload { () throws -> PlanReview.Answered in
            try PlanReview.answer(verdict, message: words, version: shown, issue: issue, in: workspace.store, workspace: workspace,
                                  by: PlanReview.reviewer(home: workspace.store.home))
        }
        await view.refresh()
        var out = done.json
        // The session as changed, with its new group and plan state, for the page that answered.
        var session = SessionView.withAnswer(done.session)
        session["group"] = JSONValue.string(StatusGroup.of(done.session).rawValue)
        session.set("planSummary", done.session.planSummary?.json)
        out["session"] = session.objectValue
        return json(out)
    }
}
