import Foundation
import Hummingbird
import Config
import Lifecycle
import Support
import Forge

/// The forge's side of the loop over HTTP: the tracker's issues (as `ppds issues`) and a PR
/// refresh (as `ppds status --prs`). Both run the Lifecycle operations the CLI runs, off the
/// request threads.
func addForgeRoutes(_ router: Router<BasicRequestContext>, _ api: Handlers) {
    // GET /api/v1/issues?label=ready&label=p1&search=…&limit=20&allStates=true
    router.get("/api/v1/issues") { request, _ in
        let parameters = request.uri.queryParameters
        var query = IssueQuery(labels: parameters.getAll("label"), search: parameters.get("search"),
                               allStates: parameters.get("allStates") == "true")
        if let text = parameters.get("limit") {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw APIError(.usage, "'limit' must be between 1 and 1000") }
            query.limit = limit
        }
        let workspace = api.workspace, asked = query
        let board = try await offload { () throws -> IssueBoard in
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            return try IssueBoard.load(workspace, config: config, query: asked)
        }
        return api.json(board.json)
    }
    // POST /api/v1/pull-requests/refresh: asks the forge now; the view shows the new states.
    router.post("/api/v1/pull-requests/refresh") { _, _ in
        let workspace = api.workspace
        let results = try await offload { PullRequestRefresh.run(workspace) }
        await api.view.refresh()
        return api.json(.document("results", .array(results.map(\.json))))
    }
}
