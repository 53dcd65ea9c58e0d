import Config
import Foundation
import Lifecycle
import MCP
import SessionKit
import Support
import View
import Agents
import Forge
import LifecycleCore
import Replication

/// The tools over the loop's two ends: the tracker's issues, starting work, plans, shipping,
/// syncing and pruning. Each calls the operation the CLI calls and returns its JSON document.
enum OrchestratorTools {
    static let all: [ToolSpec] = [issues, startWork, plan, approve, revise, ship, sync, prune]

    static let issues = ToolSpec(
        name: "issues",
        description: "The tracker's open issues (from gh), each with its session here and elsewhere, unclaimed first; offline, the last list with its age. Same JSON as 'ppds issues --json'.",
        schema: Schema.object([
            "labels": Schema.strings("Only issues with all of these labels."),
            "search": Schema.string("Only issues matching this search (GitHub's search syntax)."),
            "limit": Schema.integer("At most this many issues (default 30)."),
            "allStates": Schema.bool("Closed issues too."),
        ]),
        readOnly: true
    ) { arguments, context in
        var query = IssueQuery(labels: try arguments.strings("labels"), search: try arguments.string("search"),
                               limit: IssueQuery.defaultLimit, allStates: try arguments.flag("allStates"))
        if let limit = try arguments.integer("limit", in: 1...1000) { query.limit = limit }
        return try IssueBoard.load(context.workspace, config: context.config, query: query).json
    }

    static let startWork = ToolSpec.reporting(
        name: "start_work",
        description: "Start work on issues: for each, a branch and a worktree exactly as 'git worktree add' makes them, and a session file. An issue that exists already is reported, not redone. Same JSON as 'ppds start-work --json'.",
        schema: Schema.object([
            "issues": Schema.issues("The issues to start."),
            "base": Schema.string("The ref to branch from (default: config, then origin/HEAD, origin/main, then the local default)."),
            "offline": Schema.bool("Do not ask gh for titles, labels and whether the issue is open."),
            "force": Schema.bool("Start even an issue the tracker says is closed or unknown."),
        ], required: ["issues"]),
        readOnly: false
    ) { arguments, context in
        var request = StartWorkRequest(issues: try arguments.issues("issues"), base: try arguments.string("base"),
                                       jobs: 2, offline: try arguments.flag("offline"))
        request.force = try arguments.flag("force")
        let report = StartWork(workspace: context.workspace, config: context.config).report(request)
        return ToolOutput(document: report.json, someFailed: report.failure != nil)
    }

    static let plan = ToolSpec(
        name: "plan",
        description: "A session's plan (attached by its worker at planning_complete), with its summary; with history, every version with its answers. Same JSON as 'ppds plan --json'.",
        schema: Schema.object(["issue": Schema.issue, "history": Schema.bool("Every version, each with its answers.")], required: ["issue"]),
        readOnly: true
    ) { arguments, context in
        let session = try PlanReview.session(try arguments.issue(), in: context.store, workspace: context.workspace)
        return try PlanReview.document(session, history: try arguments.flag("history"))
    }

    static let approve = ToolSpec(
        name: "approve",
        description: "Approve a session's plan: relayed to the worker as guidance (a waiting worker wakes up); the session goes to working. Pass the plan version you read: refused when a newer one came.",
        schema: Schema.object([
            "issue": Schema.issue, "message": Schema.string("Words to go with the approval."),
            "version": Schema.integer("The plan version you read."),
        ], required: ["issue"]),
        readOnly: false
    ) { arguments, context in
        try answer(.approved, message: try arguments.string("message"), arguments, context)
    }

    static let revise = ToolSpec(
        name: "revise",
        description: "Send a session's plan back with the changes wanted: relayed to the worker as guidance; the session goes back to planning. Pass the plan version you read.",
        schema: Schema.object([
            "issue": Schema.issue, "message": Schema.string("The changes wanted."),
            "version": Schema.integer("The plan version you read."),
        ], required: ["issue", "message"]),
        readOnly: false
    ) { arguments, context in
        try answer(.revise, message: try arguments.requiredText("message"), arguments, context)
    }

    static func answer(_ verdict: PlanAnswer.Verdict, message: String?, _ arguments: ToolArguments, _ context: ToolContext) throws -> OrderedJSON {
        try PlanReview.answer(verdict, message: message, version: try arguments.integer("version", in: 1...Int.max),
                              issue: try arguments.issue(), in: context.store, workspace: context.workspace,
                              by: PlanReview.reviewer(home: context.store.home)).json
    }

    static let ship = ToolSpec(
        name: "ship",
        description: "Ship a session: its guardrails (clean worktree, commits of its own), then push its branch and record the PR (given, or created with gh). Same as 'ppds ship'.",
        schema: Schema.object([
            "issue": Schema.issue,
            "pr": Schema.string("The PR's URL, when it exists already."),
            "createPR": Schema.bool("Create the PR with gh (instead of pr)."),
            "push": Schema.bool("Push the branch first (default true)."),
        ], required: ["issue"]),
        readOnly: false
    ) { arguments, context in
        let pr = try arguments.string("pr")
        let create = try arguments.flag("createPR")
        switch (pr, create) {
        case (nil, false): throw PPDSError.usage("ship needs 'pr' (the PR's URL) or 'createPR': true")
        case (.some, true): throw PPDSError.usage("'pr' and 'createPR' exclude each other")
        case (.some(let url), false): try SessionChanges.validatePRURL(url)
        case (nil, true): break
        }
        let push = arguments.values["push"].map { $0.boolValue ?? true } ?? true
        let result = try Ship.run(try arguments.issue(), store: context.store, workspace: context.workspace, pr: pr, push: push,
                                  createPR: create, force: false)
        return .document("session", result.session.json.objectValue)
    }

    static let sync = ToolSpec(
        name: "sync",
        description: "Exchange sessions with the other machines through the registry remote (signed); other machines' sessions and claims then show in status, issues and next. Same JSON as 'ppds sync --json'.",
        schema: Schema.object(["remote": Schema.string("The remote (default: config's registry.remote, then origin).")]),
        readOnly: false
    ) { arguments, context in
        let machine = try Machine.current(home: context.store.home)
        let remote = RegistrySync.remoteName(given: try arguments.string("remote"), config: context.config)
        return try RegistrySync(workspace: context.workspace, remote: remote, machine: machine).run().json
    }

    static let prune = ToolSpec.reporting(
        name: "prune",
        description: "Clean up after merged work, under git's own evidence (never a forge's word). A dry run unless remove is true: then what is removed goes to the trash, restorable with 'ppds restore'. Same JSON as 'ppds prune --json'.",
        schema: Schema.object([
            "issues": Schema.issues("Only these sessions (default: every finished one)."),
            "remove": Schema.bool("Really remove (default: a dry run that says what would go and why)."),
            "fetch": Schema.bool("Fetch the bases' remotes first, so work merged on the forge counts as merged."),
        ]),
        readOnly: false
    ) { arguments, context in
        var request = PruneRequest(issues: arguments.values["issues"] == nil ? [] : try arguments.issues("issues"),
                                   dryRun: !(try arguments.flag("remove")))
        request.fetch = try arguments.flag("fetch")
        let report = try Prune(workspace: context.workspace, config: context.config).run(request)
        return ToolOutput(document: PruneText.json(report), someFailed: report.anyFailed)
    }
}
