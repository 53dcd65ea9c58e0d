import Foundation
import GitKit
import SessionKit
import Support
import LifecycleCore
import Replication

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

extension AgentHooks {
    /// `handle` with libgit2's discovery (the full program).
    public static func handle(_ payload: ClaudeHookPayload, issue given: IssueNumber?, projectDir: String?,
                              home: String? = nil, now: Date = Date()) throws(PPDSError) -> AgentHookOutcome {
        try handle(payload, issue: given, projectDir: projectDir, home: home, now: now, finder: Workspace.libgit2MainWorktree)
    }

    static func locate(_ payload: ClaudeHookPayload, issue given: IssueNumber?, projectDir: String?,
                       home: String?) throws(PPDSError) -> (Workspace, Session) {
        try locate(payload, issue: given, projectDir: projectDir, home: home, finder: Workspace.libgit2MainWorktree)
    }

    /// Guidance the worker has not read, handed to the agent through the hook's answer: for
    /// UserPromptSubmit as added context (its stdout), for Stop and PostToolUse as a "block"
    /// whose reason Claude takes as its next instruction. So an answer relayed with `ppds guide`
    /// reaches the agent at its next prompt, tool call or turn end, without it asking.
    /// https://code.claude.com/docs/en/hooks (UserPromptSubmit and Stop decision control)
    public static func pendingGuidance(_ payload: ClaudeHookPayload, issue given: IssueNumber?, projectDir: String?,
                                       home: String? = nil) -> (store: SessionStore, issue: IssueNumber, guidance: [Guidance], answer: String)? {
        guard relaysGuidance(payload.event), let (workspace, session) = try? locate(payload, issue: given, projectDir: projectDir, home: home) else { return nil }
        // Only guidance written here or signed by a machine this one trusts reaches the agent;
        // the rest stays unread for the people at this machine (status, show).
        let relayable = session.relayableGuidance(home: workspace.store.home)
        let unread = relayable.map(\.guidance)
        guard !unread.isEmpty else { return nil }
        let text = (["Guidance from the orchestrator for \(session.issue.tag), relayed by ppds:"]
            + relayable.map { item in
                let from = item.origin.verdict == .own ? "" : " (\(item.origin.described))"
                return "- \(item.guidance.message)\(from)"
            }).joined(separator: "\n")
        let answer: String
        if case .userPromptSubmit = payload.event {
            answer = text
        } else {
            answer = JSONWriter.write(.object(["decision": .string("block"), "reason": .string(text)]), pretty: false)
        }
        return (workspace.store, session.issue, unread, answer)
    }
}

/// `.claude/settings.local.json` in a worktree: ppds's hook entries, merged with what is there.
public enum ClaudeSettings {
    public static let relativePath = ".claude/settings.local.json"
    /// The line ppds adds to `info/exclude` when nothing ignores the file yet.
    public static let excludeLine = "/" + relativePath
    /// Events and their matchers (nil: none, as the docs allow for non-tool events).
    public static let events: [(name: String, matcher: String?)] = [
        ("Notification", nil), ("UserPromptSubmit", nil), ("Stop", nil), ("PostToolUse", "*"),
        ("PreToolUse", AgentHooks.exitPlanModeTool),
    ]
    /// Seconds Claude Code gives the hook (its default is 60): a hook must never hold the agent up.
    public static let timeout = 10

    /// The command Claude Code runs (through a shell): the quoted executable path and the issue
    /// number are its only variable parts; no title or other text is ever pasted in.
    public static func command(executable: String, issue: IssueNumber) -> String {
        shellQuoted(executable) + " hook claude " + String(issue.value)
    }

    /// One shell word for any text: single quotes, each `'` written as `'\''`.
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Whether `command` is one ppds generated (any executable path, any issue): those are
    /// replaced on a rewrite, every other hook is kept.
    public static func isOwnCommand(_ command: String) -> Bool {
        var rest = Substring(command)
        guard rest.first == "'" else { return false }
        while let first = rest.first, first != " " {
            if first == "'" {
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: "'") else { return false }
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("\\'") {
                rest = rest.dropFirst(2)
            } else {
                return false
            }
        }
        guard rest.hasPrefix(" hook claude") else { return false }
        let tail = rest.dropFirst(" hook claude".count)
        return tail.isEmpty || (tail.first == " " && tail.count > 1 && tail.dropFirst().allSatisfy(\.isASCII) && tail.dropFirst().allSatisfy(\.isNumber))
    }

    /// One matcher group, keys in the order the docs write them.
    static func group(command: String, matcher: String?) -> SettingsJSON {
        let hook = SettingsJSON.object([("type", .string("command")), ("command", .string(command)), ("timeout", .literal(String(timeout)))])
        return .object((matcher.map { [("matcher", SettingsJSON.string($0))] } ?? []) + [("hooks", .array([hook]))])
    }

    /// ppds's entries alone, as a settings document (what `agent-hooks claude` prints).
    public static func entries(command: String) -> Data {
        // Merged into nothing, so there is no file to name in an error, and no error.
        (try? merge(nil, command: command, file: "")) ?? Data()
    }

    /// The file's bytes with ppds's entries in place: every other key and every other hook kept,
    /// in their order and with their numbers as written; ppds's earlier entries replaced, so a
    /// rerun changes nothing. A file that is not a settings object is an error naming `file`;
    /// nothing is guessed.
    public static func merge(_ existing: Data?, command: String, file: String) throws(PPDSError) -> Data {
        var settings: [(key: String, value: SettingsJSON)] = []
        if let existing, !existing.allSatisfy({ [0x20, 0x0a, 0x0d, 0x09].contains($0) }) {
            settings = try SettingsJSON.parseObject(existing, file: file)
        }
        var hooks: [(key: String, value: SettingsJSON)] = []
        if let current = SettingsJSON.object(settings)["hooks"], !current.isNull {
            guard let entries = current.objectEntries else {
                throw PPDSError.invalid("\(file): 'hooks' is \(current.kindDescription), not an object; nothing was written")
            }
            hooks = entries
        }
        for event in events {
            var groups: [SettingsJSON] = []
            if let current = SettingsJSON.object(hooks)[event.name], !current.isNull {
                guard let list = current.arrayValue else {
                    throw PPDSError.invalid("\(file): 'hooks.\(event.name)' is \(current.kindDescription), not a list; nothing was written")
                }
                groups = list.compactMap(withoutOwnEntries)
            }
            groups.append(group(command: command, matcher: event.matcher))
            hooks = SettingsJSON.setting(event.name, to: .array(groups), in: hooks)
        }
        settings = SettingsJSON.setting("hooks", to: .object(hooks), in: settings)
        return Data((SettingsJSON.object(settings).written() + "\n").utf8)
    }

    /// A matcher group without ppds's own commands; nil when nothing else was in it.
    static func withoutOwnEntries(_ group: SettingsJSON) -> SettingsJSON? {
        guard let entries = group.objectEntries, let list = group["hooks"]?.arrayValue else { return group }
        let kept = list.filter { entry in
            guard let command = entry["command"]?.stringValue else { return true }
            return !isOwnCommand(command)
        }
        if kept.count == list.count { return group }
        if kept.isEmpty { return nil }
        return .object(SettingsJSON.setting("hooks", to: .array(kept), in: entries))
    }
}

/// What `agent-hooks --write` (or `start-work --agent`) did to a worktree.
public struct AgentHooksInstall: Sendable, Equatable {
    public var file: String
    /// False when the file already held exactly these entries.
    public var changed: Bool
    /// The `info/exclude` file ppds added the settings path to, when nothing ignored it yet.
    public var excludedIn: String?

    public var json: JSONValue {
        .object(["file": .string(file), "changed": .bool(changed), "excludedIn": excludedIn.map(JSONValue.string) ?? .null])
    }
}

extension AgentHooks {
    /// Writes ppds's hook entries into the session's `.claude/settings.local.json` (merged,
    /// atomically). The file must stay ignored by git, or the worktree would be dirty and
    /// prune and ship would keep refusing it: when nothing ignores it, its path goes into the
    /// repository's `info/exclude` (shared by every worktree). A tracked file is refused.
    public static func install(for session: Session, workspace: Workspace, executable: String) throws(PPDSError) -> AgentHooksInstall {
        let worktree = session.worktree
        let folder = worktree + "/.claude"
        let file = worktree + "/" + ClaudeSettings.relativePath
        var facts = stat()
        guard lstat(worktree, &facts) == 0, facts.st_mode & S_IFMT == S_IFDIR else {
            throw PPDSError.notFound("\(session.issue.tag): the worktree \(worktree) is not a folder")
        }
        // Through a link ppds could write outside the worktree.
        if lstat(folder, &facts) == 0, facts.st_mode & S_IFMT != S_IFDIR {
            throw PPDSError.refused("\(folder) is not a folder (a link?); nothing was written")
        }
        if lstat(file, &facts) == 0, facts.st_mode & S_IFMT != S_IFREG {
            throw PPDSError.refused("\(file) is not a regular file (a link?); nothing was written")
        }
        let repository = try PPDSError.wrapping { try Repository.open(at: worktree) }
        if try PPDSError.wrapping({ try repository.indexHolds(ClaudeSettings.relativePath) }) {
            throw PPDSError.refused("\(file) is tracked by git; ppds will not edit it (the worktree would be dirty). Add the entries 'ppds agent-hooks claude \(session.issue.value)' prints by hand")
        }
        let existing = FileManager.default.contents(atPath: file)
        // Settings may hold secrets (`env`): a private file stays private.
        let mode: mode_t = lstat(file, &facts) == 0 ? facts.st_mode & 0o777 : 0o644
        let command = ClaudeSettings.command(executable: executable, issue: session.issue)
        let merged = try ClaudeSettings.merge(existing, command: command, file: file)
        let excludedIn = try ensureIgnored(repository: repository, worktree: worktree, workspace: workspace)
        guard merged != existing else { return AgentHooksInstall(file: file, changed: false, excludedIn: excludedIn) }
        try PPDSError.wrapping {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(merged, to: file, mode: mode)
        }
        return AgentHooksInstall(file: file, changed: true, excludedIn: excludedIn)
    }

    /// Makes git ignore the settings file in every worktree of the repository; returns the
    /// exclude file when it had to add the line.
    static func ensureIgnored(repository: Repository, worktree: String, workspace: Workspace) throws(PPDSError) -> String? {
        if repository.isIgnored(ClaudeSettings.relativePath) { return nil }
        let exclude = repository.commonDir + "/info/exclude"
        // Several start-works run at once: only the one that wrote the line says it did.
        var added = false
        try workspace.withRepositoryLock("info-exclude") { () throws(PPDSError) in
            let text = (try? String(contentsOfFile: exclude, encoding: .utf8)) ?? ""
            guard !text.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == ClaudeSettings.excludeLine }) else { return }
            added = true
            let line = (text.isEmpty || text.hasSuffix("\n") ? "" : "\n")
                + "# Claude Code's local settings, which ppds writes into session worktrees\n" + ClaudeSettings.excludeLine + "\n"
            try PPDSError.wrapping {
                try FileManager.default.createDirectory(atPath: (exclude as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try AtomicFile.write(Data((text + line).utf8), to: exclude)
            }
        }
        let fresh = try PPDSError.wrapping { try Repository.open(at: worktree) }
        guard fresh.isIgnored(ClaudeSettings.relativePath) else {
            throw PPDSError.refused("git does not ignore \(worktree)/\(ClaudeSettings.relativePath) even with \(ClaudeSettings.excludeLine) in \(exclude) (a '!' rule in a .gitignore?); nothing was written, since the file would make the worktree dirty")
        }
        return added ? exclude : nil
    }
}

extension AgentHooks {
    /// `install` as one of start-work's hook results (`agent-hooks`): a failure is reported and
    /// makes start-work exit 1, but the new worktree and session stay.
    package static func installResult(for session: Session, workspace: Workspace, agent: AgentKind, executable: String) -> HookResult {
        do {
            let done = try install(for: session, workspace: workspace, executable: executable)
            let message = (done.changed ? "wrote " : "already current: ") + done.file
                + (done.excludedIn.map { "; added \(ClaudeSettings.excludeLine) to \($0)" } ?? "")
            return HookResult(kind: "agent-hooks", command: agent.rawValue, outcome: .ok, message: message)
        } catch {
            return HookResult(kind: "agent-hooks", command: agent.rawValue, outcome: .failed, message: error.message)
        }
    }
}
