import FoundationEssentials
import SessionKit
import Support

// Claude Code hooks, as its hooks reference documents them:
//   https://code.claude.com/docs/en/hooks (formerly https://docs.anthropic.com/en/docs/claude-code/hooks)
// - Settings: `{"hooks": {"<Event>": [{"matcher": "…", "hooks": [{"type": "command", "command": "…",
//   "timeout": <seconds>}]}]}}`, here in `.claude/settings.local.json` ("local project settings, not
//   committed"). `matcher` may be left out for Notification, UserPromptSubmit and Stop; `"*"` matches
//   every tool. The command runs through a shell.
// - Input (JSON on stdin): `session_id`, `transcript_path`, `cwd`, `hook_event_name`; Notification adds
//   `message` (and, in newer versions, `notification_type`: permission_prompt, idle_prompt, auth_success,
//   elicitation_dialog), UserPromptSubmit `prompt`, Stop `stop_hook_active`.
// - Exit codes: 0 is success; 2 blocks (UserPromptSubmit erases the prompt, Stop keeps Claude going);
//   others are non-blocking errors shown to the user. With exit 0, UserPromptSubmit's stdout is added to
//   Claude's context. So the hook always exits 0 and prints nothing on stdout.
// - PreToolUse (https://code.claude.com/docs/en/hooks#pretooluse-input) adds `tool_name`, `tool_input`
//   and `tool_use_id`; its matcher is the tool name. Claude Code leaves plan mode through its
//   `ExitPlanMode` tool, whose input carries the plan as `tool_input.plan`: the hook with matcher
//   `ExitPlanMode` records `planning_complete` with that plan (`ppds approve` answers it, relayed as
//   guidance at the agent's next prompt, tool call or turn end). A payload without a plan (newer
//   versions may keep it in a file) still records `planning_complete`. PostToolUse runs after a tool
//   completed: for `ExitPlanMode`, the human accepted the plan in the agent's terminal (`working`).

/// The agents ppds writes hooks for.
public enum AgentKind: String, Sendable, CaseIterable {
    case claude
}

/// A hook invocation's input, as Claude Code sends it on stdin. Only what ppds uses is kept.
public struct ClaudeHookPayload: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// The agent waits for the human (a permission prompt, an idle prompt, …).
        case notification(message: String, type: String?)
        case userPromptSubmit
        case stop
        case postToolUse
        /// PostToolUse of `ExitPlanMode`: the tool completed, so the human accepted the plan in
        /// the agent's own terminal.
        case planAccepted
        /// A tool is about to run; for `ExitPlanMode`, `plan` is `tool_input.plan`.
        case preToolUse(tool: String, plan: String?)
        case other(String)
    }

    public var event: Event
    public var cwd: String?

    public init(event: Event, cwd: String?) {
        self.event = event
        self.cwd = cwd
    }

    /// Bounds like a session file's: the payload is input from another program.
    public static let maxSize = 8 << 20

    public static func parse(_ data: Data) throws(PPDSError) -> ClaudeHookPayload {
        guard data.count <= maxSize else { throw PPDSError.invalid("the hook payload is \(data.count) bytes (at most \(maxSize))") }
        guard JSONValue.nestingDepth(data) <= Session.maxNesting else { throw PPDSError.invalid("the hook payload is nested too deeply") }
        guard let value = try? JSONValue.parse(data), let object = value.objectValue else {
            throw PPDSError.invalid("the hook payload on stdin is not a JSON object")
        }
        guard let name = object["hook_event_name"]?.stringValue else {
            throw PPDSError.invalid("the hook payload has no 'hook_event_name'")
        }
        let event: Event
        switch name {
        case "Notification":
            event = .notification(message: object["message"]?.stringValue ?? "", type: object["notification_type"]?.stringValue)
        case "UserPromptSubmit": event = .userPromptSubmit
        case "Stop": event = .stop
        case "PostToolUse": event = object["tool_name"]?.stringValue == AgentHooks.exitPlanModeTool ? .planAccepted : .postToolUse
        case "PreToolUse":
            let tool = object["tool_name"]?.stringValue ?? ""
            event = .preToolUse(tool: tool, plan: object["tool_input"]?.objectValue?["plan"]?.stringValue)
        default: event = .other(name)
        }
        return ClaudeHookPayload(event: event, cwd: object["cwd"]?.stringValue)
    }
}

/// What a hook invocation did. Either way the hook exits 0: it never blocks the agent.
public enum AgentHookOutcome: Sendable {
    /// The session's status was set (to the same status too: that records activity).
    case updated(Session)
    /// The session was left as it was, and why.
    case unchanged(IssueNumber, String)
    /// The event is not one ppds reacts to.
    case ignored(String)

    public var description: String {
        switch self {
        case .updated(let session):
            "\(session.issue.tag) is now \(session.status.fileValue)"
        case .unchanged(let issue, let why): "\(issue.tag) unchanged: \(why)"
        case .ignored(let why): "ignored: \(why)"
        }
    }
}

/// Claude Code hooks that keep a session's status current: the decisions, the hook's own run,
/// and the settings entries that call it.
public enum AgentHooks {
    /// Session key recording a stuck state the hook set (`{"agent", "reason", "stuckSince"}`), so the hook
    /// clears only its own stuck and never a question the worker asked with `ppds update`.
    public static let markerKey = "agentHook"

    /// Notification types that mean the agent waits for the human. A payload without a type
    /// (older Claude Code) counts too; others (`auth_success`) are not waits.
    public static let waitingNotificationTypes: Set<String> = ["permission_prompt", "idle_prompt", "elicitation_dialog"]

    package enum Decision: Equatable {
        case set(SessionStatus, stuck: StuckRequest?)
        /// The agent left plan mode: planning_complete, with its plan when the payload has one.
        case submitPlan(String?)
        case leave(String)
    }

    /// The tool whose call means the agent leaves plan mode with a plan for review.
    public static let exitPlanModeTool = "ExitPlanMode"

    /// A plan the agent wrote, cut to what a session keeps (the agent's own copy stays whole).
    package static func keptPlan(_ text: String) -> String {
        guard text.utf8.count > PlanVersion.maxBytes else { return text }
        let note = "\n\n[cut by ppds: the plan was \(text.utf8.count) bytes; a session keeps at most \(PlanVersion.maxBytes)]"
        let budget = PlanVersion.maxBytes - note.utf8.count
        var kept = "", size = 0
        for character in text {
            size += character.utf8.count
            if size > budget { break }
            kept.append(character)
        }
        return kept + note
    }

    /// Whether the session's stuck state is the one the hook set.
    public static func stuckByHook(_ session: Session) -> Bool {
        guard session.status == .stuck, let stuck = session.stuck, let marker = session.extra[markerKey]?.objectValue,
              let since = marker["stuckSince"]?.stringValue else { return false }
        // Timestamps have whole seconds: the reason tells a worker's stuck in the same second apart.
        return since == Timestamp.format(stuck.since) && marker["reason"]?.stringValue == stuck.reason
    }

    /// The status change an event asks of the session as it is now.
    package static func decide(_ event: ClaudeHookPayload.Event, for session: Session) -> Decision {
        if session.status.isTerminal { return .leave("the session is \(session.status.fileValue)") }
        // A human's pause wins over the agent's activity (as for `update` without --force).
        if session.status == .paused { return .leave("a human paused the session") }
        let byHook = stuckByHook(session)
        switch event {
        case .notification(let message, let type):
            if let type, !waitingNotificationTypes.contains(type) { return .leave("notification '\(type)' is not a wait") }
            // The worker's own question (with its context and options) is worth more than Claude's generic one.
            if session.status == .stuck && !byHook { return .leave("stuck with the worker's own reason") }
            // A plan waiting for review already says the human is needed, and says more.
            if session.status == .planningComplete { return .leave("the plan waits for review") }
            let text = message.trimmingWhitespaceAndNewlines()
            let reason = text.isEmpty ? "Claude Code is waiting for input" : String(text.prefix(1000))
            return .set(.stuck, stuck: StuckRequest(reason: reason, context: "Claude Code is waiting in the worktree's terminal" + (type.map { " (\($0))" } ?? "")))
        case .userPromptSubmit:
            // A prompt while planning is part of the plan; any other prompt means work.
            if session.status == .planning { return .leave("the session is planning") }
            return .set(.working, stuck: nil)
        case .planAccepted:
            // Accepted in the terminal, not through ppds: the session works on; the plan stays
            // unanswered in its history ("not answered").
            if session.status == .planningComplete { return .set(.working, stuck: nil) }
            return byHook ? .set(.working, stuck: nil) : .leave("not waiting on a plan or a prompt the hook recorded")
        case .stop, .postToolUse:
            // The turn ended, or a tool ran: the wait the hook recorded is over. An idle
            // notification follows if the agent then waits for a prompt.
            return byHook ? .set(.working, stuck: nil) : .leave("not waiting on a prompt the hook recorded")
        case .preToolUse(let tool, let plan):
            guard tool == exitPlanModeTool else { return .leave("tool \(tool)") }
            let text = plan.flatMap { $0.trimmingWhitespaceAndNewlines().isEmpty ? nil : keptPlan($0) }
            // Claude Code may offer the same plan again (its own prompt was declined): one version.
            if session.status == .planningComplete, session.latestPlan?.answer == nil, text == nil || session.latestPlan?.text == text {
                return .leave("the plan already waits for review")
            }
            return .submitPlan(text)
        case .other(let name):
            return .leave("event \(name)")
        }
    }

    /// The session a payload is about, with its repository, as `locate` found it.
    public typealias Located = (workspace: Workspace, session: Session)

    /// The events whose hook hands unread guidance to the agent (`pendingGuidance`).
    public static func relaysGuidance(_ event: ClaudeHookPayload.Event) -> Bool {
        switch event {
        case .userPromptSubmit, .stop, .postToolUse, .planAccepted: true
        default: false
        }
    }

    /// Runs one hook invocation: finds the session whose worktree holds the payload's `cwd`
    /// (or `projectDir`, Claude Code's `CLAUDE_PROJECT_DIR`), which must be `issue`'s when one is
    /// given, and applies the event's status change under the session's lock, with the same
    /// transition rules as `ppds update`.
    public static func handle(_ payload: ClaudeHookPayload, issue given: IssueNumber?, projectDir: String?,
                              home: String? = nil, now: Date = Date(), finder: MainWorktreeFinder,
                              located: Located? = nil) throws(PPDSError) -> AgentHookOutcome {
        switch payload.event {
        case .other(let name): return .ignored("ppds does not react to \(name)")
        case .notification(_, let type?) where !waitingNotificationTypes.contains(type):
            return .ignored("notification '\(type)' is not a wait")
        case .preToolUse(let tool, _) where tool != exitPlanModeTool:
            return .ignored("ppds reacts to PreToolUse of \(exitPlanModeTool) only, not \(tool)")
        default: break
        }
        let (workspace, session) = if let located { located } else { try locate(payload, issue: given, projectDir: projectDir, home: home, finder: finder) }
        // PostToolUse runs after every tool call: when the file as read asks for nothing, no lock.
        if case .leave(let why) = decide(payload.event, for: session) { return .unchanged(session.issue, why) }
        return try apply(payload.event, to: session.issue, in: workspace, now: now)
    }

    /// The session whose worktree holds the payload's `cwd` (or `projectDir`), which must be
    /// `issue`'s when one is given.
    public static func locate(_ payload: ClaudeHookPayload, issue given: IssueNumber?, projectDir: String?,
                              home: String?, finder: MainWorktreeFinder) throws(PPDSError) -> Located {
        let places = [payload.cwd, projectDir].compactMap { $0 }.filter { $0.hasPrefix("/") }
        guard !places.isEmpty else { throw PPDSError.usage("the hook payload names no absolute 'cwd', and CLAUDE_PROJECT_DIR is not set") }
        for place in places {
            guard let workspace = try? Workspace.locate(repo: place, home: home, currentDirectory: place, finder: finder) else { continue }
            let issue: IssueNumber
            if let given {
                issue = given
            } else if let inferred = try? SessionChanges.inferIssue(from: place, in: workspace.store) {
                issue = inferred
            } else {
                continue
            }
            guard let session = try? workspace.store.loadIfPresent(issue), workspace.owns(session),
                  session.worktreeHolds(place) else { continue }
            return (workspace, session)
        }
        let which = given.map { "\($0.tag)'s worktree" } ?? "any session's worktree"
        throw PPDSError.notFound("\(places.joined(separator: " or ")) is not inside \(which)")
    }

    /// The decision is made inside the lock, on the file as it is then.
    static func apply(_ event: ClaudeHookPayload.Event, to issue: IssueNumber, in workspace: Workspace,
                      now: Date) throws(PPDSError) -> AgentHookOutcome {
        var left: String?
        let session = try PPDSError.wrapping {
            try workspace.store.modify(issue) { current in
                guard workspace.owns(current) else { throw PPDSError.refused("\(issue.tag) belongs to another repository") }
                switch decide(event, for: current) {
                case .leave(let why):
                    left = why
                    return current
                case .submitPlan(let text):
                    var next = try current.applying(text.map { .submitPlan(text: $0, force: false) }
                        ?? .update(status: .planningComplete, stuck: nil, pr: nil, force: false), at: now)
                    next.extra[markerKey] = nil
                    return next
                case .set(let status, let stuck):
                    var next = try current.applying(.update(status: status, stuck: stuck, pr: nil, force: false), at: now)
                    if let recorded = next.stuck, stuck != nil {
                        next.extra[markerKey] = .object(["agent": .string(AgentKind.claude.rawValue), "reason": .string(recorded.reason),
                                                         "stuckSince": .string(Timestamp.format(recorded.since))])
                    } else {
                        next.extra[markerKey] = nil
                    }
                    return next
                }
            }
        }
        if let left { return .unchanged(issue, left) }
        return .updated(session)
    }
}
