import Foundation
import Config
import GitKit
import SessionKit
import Support

/// What happened to one configured command.
public struct HookResult: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case ok, failed, skipped, spawned
    }

    public let kind: String
    public let command: String
    public let outcome: Outcome
    public let message: String?

    public init(kind: String, command: String, outcome: Outcome, message: String?) {
        self.kind = kind
        self.command = command
        self.outcome = outcome
        self.message = message
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["kind": .string(kind), "command": .string(command), "outcome": .string(outcome.rawValue)]
        if let message { fields["message"] = .string(message) }
        return .object(fields)
    }
}

/// Runs `hooks.post_create` and `spawn` for a new session. Commands from an untrusted
/// repository `.ppds.toml` are skipped with a message saying how to trust it.
public enum Hooks {
    public static func environment(for session: Session) -> [String: String] {
        var env = ["PPDS_ISSUE": String(session.issue.value), "PPDS_BRANCH": session.branch,
                   "PPDS_WORKTREE": session.worktree, "PPDS_SESSION": session.id]
        if let title = session.title { env["PPDS_TITLE"] = title }
        if let repo = session.repo { env["PPDS_REPO"] = repo }
        // The session's ports: the first for a dev server, the whole block as "first-last".
        if let ports = session.ports {
            env["PPDS_PORT"] = String(ports.first)
            env["PPDS_PORTS"] = "\(ports.first)-\(ports.range.upperBound)"
        }
        return env
    }

    /// The argument vector, with `{issue}`, `{branch}`, `{worktree}` and `{session}` filled
    /// in argv commands. Shell lines get the `PPDS_*` variables instead, never text pasted in.
    public static func argv(_ command: CommandSpec, for session: Session) -> [String] {
        guard case .argv(let argv) = command else { return ProcessRunner.argv(for: command) }
        return argv.map {
            $0.replacingOccurrences(of: "{issue}", with: String(session.issue.value))
                .replacingOccurrences(of: "{branch}", with: session.branch)
                .replacingOccurrences(of: "{worktree}", with: session.worktree)
                .replacingOccurrences(of: "{session}", with: session.id)
        }
    }

    /// tmux reads `#` in many of its arguments as a format, and `#(…)` in a format runs a
    /// command: a value ppds fills into a tmux command (the branch, the worktree path, by
    /// placeholder or `PPDS_*` variable in a shell line) must not carry one. The reason, or nil.
    /// tmux also hands its command argument to a second shell (`sh -c`), so a value there is
    /// shell code whatever quoting the first shell or argv gave it: a value with a shell
    /// metacharacter (`$(…)`, backticks, `;`, quotes…) must not reach a tmux command either.
    public static func formatHazard(_ command: CommandSpec, for session: Session) -> String? {
        let values = [("{branch}", "PPDS_BRANCH", session.branch), ("{worktree}", "PPDS_WORKTREE", session.worktree),
                      ("{title}", "PPDS_TITLE", session.title ?? "")]
        func hazard(in value: String) -> String? {
            if value.contains("#") { return "tmux reads its '#' as a format (#(…) runs a command)" }
            if let bad = value.unicodeScalars.first(where: { "$`;|&<>()\\\"'".unicodeScalars.contains($0) || $0.value < 0x20 }) {
                return "tmux runs its command through a second shell, where '\(bad.escaped(asASCII: true))' is code"
            }
            return nil
        }
        switch command {
        case .argv(let argv):
            // `tmux …`, and also `env tmux …` or `nice tmux …`.
            guard argv.contains(where: { ($0 as NSString).lastPathComponent == "tmux" }) else { return nil }
            for (placeholder, _, value) in values where argv.dropFirst().contains(where: { $0.contains(placeholder) }) {
                if let why = hazard(in: value) {
                    return "refused: \(placeholder) is '\(TerminalText.escaped(value))', and \(why); name it without, or leave \(placeholder) out of the tmux command"
                }
            }
        case .shell(let line):
            guard line.contains("tmux") else { return nil }
            for (_, variable, value) in values where line.contains(variable) {
                if let why = hazard(in: value) {
                    return "refused: $\(variable) is '\(TerminalText.escaped(value))', and \(why); leave $\(variable) out of the tmux command"
                }
            }
        }
        return nil
    }

    package static func runAfterCreate(_ session: Session, config: Config, home: String) -> [HookResult] {
        var results: [HookResult] = []
        let env = environment(for: session)
        let advice = "skipped: \(config.repositoryFile ?? ".ppds.toml") is not trusted; review it, then run 'ppds trust'"
        for command in config.postCreate {
            if !config.mayRun("hooks.post_create") {
                results.append(HookResult(kind: "post_create", command: command.display, outcome: .skipped, message: advice))
                continue
            }
            if let hazard = formatHazard(command, for: session) {
                results.append(HookResult(kind: "post_create", command: command.display, outcome: .failed, message: hazard))
                continue
            }
            do {
                let output = try ProcessRunner.run(argv(command, for: session), in: session.worktree, environment: env)
                let detail = (output.stderr + output.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
                results.append(HookResult(kind: "post_create", command: command.display,
                                          outcome: output.status == 0 ? .ok : .failed,
                                          message: output.status == 0 ? nil : "\(output.summary): \(String(detail.suffix(400)))"))
            } catch {
                results.append(HookResult(kind: "post_create", command: command.display, outcome: .failed, message: error.message))
            }
        }
        if let spawn = config.spawn {
            if !config.mayRun("spawn") {
                results.append(HookResult(kind: "spawn", command: spawn.display, outcome: .skipped, message: advice))
            } else if let hazard = formatHazard(spawn, for: session) {
                results.append(HookResult(kind: "spawn", command: spawn.display, outcome: .failed, message: hazard))
            } else {
                results.append(self.spawn(kind: "spawn", argv: argv(spawn, for: session), display: spawn.display,
                                          session: session, home: home))
            }
        }
        return results
    }

    /// How long a spawned command is watched: one that exits non-zero this soon could not
    /// work (`tmux new-window` outside tmux, a missing file) and is reported as failed.
    public static let earlyExitWindow: TimeInterval = 1

    /// Starts a worker command in the session's worktree with the `PPDS_*` variables, its
    /// output in `$PPDS_HOME/logs/<session>.<kind>.log`. Failed when it cannot start or exits
    /// non-zero within `earlyExitWindow`; ok when it exits 0 that soon; else spawned.
    package static func spawn(kind: String, argv: [String], display: String, session: Session, home: String) -> HookResult {
        let logs = home + "/logs"
        do {
            try PrivateFile.ensureFolder(logs, home: home)
        } catch {
            return HookResult(kind: kind, command: display, outcome: .failed, message: "cannot write its log: \(error)")
        }
        let log = "\(logs)/\(session.id).\(kind).log"
        do {
            let pid = try ProcessRunner.spawn(argv, in: session.worktree, environment: environment(for: session), log: log)
            guard let status = ProcessRunner.exitStatus(of: pid, within: earlyExitWindow) else {
                return HookResult(kind: kind, command: display, outcome: .spawned, message: "pid \(pid)")
            }
            if status == 0 {
                return HookResult(kind: kind, command: display, outcome: .ok, message: "exited at once with status 0")
            }
            let output = ((try? PrivateFile.read(log)).map { String(decoding: $0, as: UTF8.self) } ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let how = status < 0 ? "killed by signal \(-status)" : "exit status \(status)"
            return HookResult(kind: kind, command: display, outcome: .failed,
                              message: "exited at once (\(how))" + (output.isEmpty ? "" : ": \(String(output.suffix(400)))"))
        } catch {
            return HookResult(kind: kind, command: display, outcome: .failed, message: error.message)
        }
    }
}
