import Foundation
import Hummingbird
import Config
import Lifecycle
import SessionKit
import Support
import Agents
import Forge
import LifecycleCore
import Replication

/// `POST /api/v1/sessions` with `{"issues": [12, "#13"], "base"?, "offline"?, "force"?}`: the CLI's
/// start-work (the same operation, its report as the body). A report with a failure keeps it
/// on the status line (the failure's kind, as the CLI's exit code does); the body says which.
func addStartWorkRoute(_ router: Router<BasicRequestContext>, _ api: Handlers) {
    router.post("/api/v1/sessions") { request, _ in
        let body = try await api.body(request)
        var request = try StartWorkBody.request(body)
        request.jobs = 2
        let workspace = api.workspace, asked = request
        let report = try await offload { () throws -> StartWorkReport in
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            return StartWork(workspace: workspace, config: config).report(asked)
        }
        await api.view.refresh()
        let status = report.failure.map { APIError.from(PPDSError($0, "")).status } ?? .ok
        return api.json(report.json, status: status)
    }
}

/// The body's fields, each checked: a wrong type is a usage error naming the field.
enum StartWorkBody {
    static let fields: Set<String> = ["issues", "base", "offline", "force"]

    static func request(_ body: [String: JSONValue]) throws(APIError) -> StartWorkRequest {
        if let unknown = body.keys.sorted().first(where: { !fields.contains($0) }) {
            throw APIError(.usage, "'\(unknown)' is not a field of a start (fields: \(fields.sorted().joined(separator: ", ")))")
        }
        guard let items = body["issues"]?.arrayValue, !items.isEmpty, items.count <= 100 else {
            throw APIError(.usage, "'issues' must be a list of 1 to 100 issue numbers")
        }
        var issues: [IssueNumber] = []
        for item in items {
            var text = item.stringValue ?? ""
            if case .int(let number) = item { text = String(number) }
            guard let issue = IssueNumber(parsing: text) else { throw APIError(.usage, "'issues': '\(text)' is not an issue number") }
            issues.append(issue)
        }
        func flag(_ key: String) throws(APIError) -> Bool {
            guard let value = body[key], !value.isNull else { return false }
            guard case .bool(let flag) = value else { throw APIError(.usage, "'\(key)' must be true or false") }
            return flag
        }
        var base: String?
        if let value = body["base"], !value.isNull {
            guard let text = value.stringValue else { throw APIError(.usage, "'base' must be a string") }
            base = text
        }
        var request = StartWorkRequest(issues: issues, base: base, offline: try flag("offline"))
        request.force = try flag("force")
        return request
    }
}
