import Config
import Foundation
import GitKit
import Lifecycle
import MCP
import SessionKit
import Support
import View
import LifecycleCore
import Agents
import Forge
import Replication

/// What every tool acts on: the repository `ppds mcp` was started for, and its config.
struct ToolContext: Sendable {
    let workspace: Workspace
    let config: Config

    var store: SessionStore { workspace.store }
}

/// One tool: its name, what it does, its input schema, and the operation it calls. Each returns
/// the same versioned JSON document as the CLI's `--json` for the same verb.
struct ToolSpec: Sendable {
    let name: String
    let description: String
    let schema: Value
    /// True when the tool never changes anything (MCP's `readOnlyHint`).
    let readOnly: Bool
    let run: @Sendable (ToolArguments, ToolContext) throws -> ToolOutput

    /// A tool whose operation succeeds or throws.
    init(name: String, description: String, schema: Value, readOnly: Bool,
         run: @escaping @Sendable (ToolArguments, ToolContext) throws -> OrderedJSON) {
        self.init(name: name, description: description, schema: schema, readOnly: readOnly, output: { ToolOutput(document: try run($0, $1)) })
    }

    private init(name: String, description: String, schema: Value, readOnly: Bool,
                 output: @escaping @Sendable (ToolArguments, ToolContext) throws -> ToolOutput) {
        self.name = name
        self.description = description
        self.schema = schema
        self.readOnly = readOnly
        self.run = output
    }

    /// A tool whose report can hold failed items (start_work, prune): the call then says
    /// `isError`, as the CLI exits 1 for the same report.
    static func reporting(name: String, description: String, schema: Value, readOnly: Bool,
                          run: @escaping @Sendable (ToolArguments, ToolContext) throws -> ToolOutput) -> ToolSpec {
        ToolSpec(name: name, description: description, schema: schema, readOnly: readOnly, output: run)
    }

    var allowed: Set<String> {
        guard case .object(let schema) = schema, case .object(let properties)? = schema["properties"] else { return [] }
        return Set(properties.keys)
    }

    var tool: Tool {
        Tool(name: name, description: description, inputSchema: schema,
             annotations: .init(readOnlyHint: readOnly, destructiveHint: readOnly ? false : nil, openWorldHint: false))
    }
}

/// A tool's document, and whether an item in it failed.
struct ToolOutput: Sendable {
    var document: OrderedJSON
    var someFailed = false
}

/// The tools over sessions: the orchestrator's view and the answers it sends.
enum SessionTools {
    static let all: [ToolSpec] = [status, show, next, guide, pause, resume]

    static let status = ToolSpec(
        name: "status",
        description: "The orchestrator view: every session of this repository with its git state, its group (stuck, plan ready, PR ready, working, …) and the problems. Same JSON as 'ppds status --json'.",
        schema: Schema.object([
            "all": Schema.bool("Include finished sessions whose worktree and branch are gone."),
            "dirty": Schema.bool("Also compute whether each worktree has uncommitted changes (stats every file)."),
            "prs": Schema.bool("Ask the forge (gh) for each shipped session's PR, review and CI state first (as 'status --prs')."),
        ]),
        readOnly: true
    ) { arguments, context in
        var options = StatusReport.Options()
        if let stale = context.config.staleAfter { options.staleAfter = stale }
        options.includeGone = try arguments.flag("all")
        options.includeDirty = try arguments.flag("dirty")
        if try arguments.flag("prs") { _ = PullRequestRefresh.run(context.workspace) }
        return try StatusReport.build(context.workspace, options: options).json
    }

    static let show = ToolSpec(
        name: "show",
        description: "One session with its git state, stuck question and guidance; another machine's session as of the last sync. Same JSON as 'ppds show --json'.",
        schema: Schema.object(["issue": Schema.issue], required: ["issue"]),
        readOnly: true
    ) { arguments, context in
        .document("session", try SessionRead.view(try arguments.issue(), context: context).json)
    }

    static let next = ToolSpec(
        name: "next",
        description: "The session waiting longest for an answer (stuck, not yet answered), with its question and numbered options; null when none waits. Answer it with 'guide'.",
        schema: Schema.object(["includeAnswered": Schema.bool("Also sessions answered whose worker has not read the answer yet.")]),
        readOnly: true
    ) { arguments, context in
        let waiting = AnswerQueue.waiting(in: context.workspace, includeAnswered: try arguments.flag("includeAnswered"))
        var out = OrderedJSON.document("next", try waiting.first.map { try SessionRead.view($0.issue, context: context).json } ?? .null)
        out["waiting"] = .int(Int64(waiting.count))
        return out
    }

    static let guide = ToolSpec(
        name: "guide",
        description: "Relay guidance to a session's worker (an answer to its stuck question, or any instruction); a worker blocked in 'ppds wait' wakes up. Another machine's session gets it on the next sync.",
        schema: Schema.object(["issue": Schema.issue, "message": Schema.string("The guidance: an option's text or your own words.")],
                              required: ["issue", "message"]),
        readOnly: false
    ) { arguments, context in
        try change(.guide(message: try arguments.requiredText("message")), arguments, context)
    }

    static let pause = ToolSpec(
        name: "pause",
        description: "Pause a session: its worker's updates are refused until resume.",
        schema: Schema.object(["issue": Schema.issue], required: ["issue"]),
        readOnly: false
    ) { arguments, context in
        try change(.pause, arguments, context)
    }

    static let resume = ToolSpec(
        name: "resume",
        description: "Resume a paused session: it returns to the status it had.",
        schema: Schema.object(["issue": Schema.issue], required: ["issue"]),
        readOnly: false
    ) { arguments, context in
        try change(.resume, arguments, context)
    }

    /// The same change, validation and transition as the CLI's and the HTTP API's.
    static func change(_ change: SessionChange, _ arguments: ToolArguments, _ context: ToolContext) throws -> OrderedJSON {
        let session = try SessionChanges.apply(change, to: try arguments.issue(), in: context.store, workspace: context.workspace)
        return .document("session", SessionView.withAnswer(session).objectValue)
    }
}

/// Reading one session as `show` does, for the orchestrator (never the worker: nothing is
/// marked read).
enum SessionRead {
    /// `show`'s one lookup (`SessionShow`: git facts, the PR's cached state, or another machine's
    /// copy), refused for a session of another repository.
    static func view(_ issue: IssueNumber, context: ToolContext) throws -> SessionView {
        let shown = try SessionShow.read(issue, store: context.store, workspace: context.workspace)
        if case .here(let view) = shown { try context.workspace.requireOwns(view.session) }
        return shown.view
    }
}
