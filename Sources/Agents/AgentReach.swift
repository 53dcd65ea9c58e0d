import Foundation
import LifecycleCore
import SessionKit
import Support

/// Reaching a spawned worker: its pane (attach, send), and what it printed (logs).
public enum AgentReach {
    /// The tmux pane of the session's running agent, or a refusal that says what to do.
    public static func livePane(of session: Session, home: String) throws(PPDSError) -> (Tmux, AgentRecord.TmuxPane) {
        let issue = session.issue
        guard let record = session.agent else {
            throw PPDSError.notFound("\(issue.tag) has no agent; start one with 'ppds spawn \(issue.value)'")
        }
        switch AgentLiveness.observe(session, machineID: (try? Machine.current(home: home))?.id, samples: nil) {
        case .none, .exited:
            throw PPDSError.notFound("\(issue.tag)'s agent \(record.name) has exited\(record.exited.map { " (\(Timestamp.format($0)))" } ?? ""); 'ppds logs \(issue.value)' shows what it printed, 'ppds spawn \(issue.value)' starts another")
        case .gone:
            throw PPDSError.notFound("\(issue.tag)'s agent \(record.name) is gone (pid \(record.pid.map(String.init) ?? "?") no longer runs); 'ppds logs \(issue.value)' shows what it printed, 'ppds spawn \(issue.value)' starts another")
        case .elsewhere(let machine, _):
            throw PPDSError.refused("\(issue.tag)'s agent runs on machine \(machine); reach it there")
        case .running:
            break
        }
        guard let pane = record.tmux, Tmux.isID(pane.pane, sigil: "%"), Tmux.isID(pane.window, sigil: "@") else {
            throw PPDSError.notFound("\(issue.tag)'s agent (pid \(record.pid ?? 0)) runs without a tmux window; 'ppds logs \(issue.value)' shows its log")
        }
        let tmux = try Tmux.recorded(socket: pane.socket)
        guard tmux.paneExists(pane.pane) else {
            throw PPDSError.notFound("\(issue.tag)'s tmux pane \(pane.pane) is gone from \(pane.socket); 'ppds stop \(issue.value)' ends the agent")
        }
        return (tmux, pane)
    }

    /// How `attach` reaches the pane: from a client of the same tmux server, switch to it; from
    /// anywhere else, attach a client (with `TMUX` cleared: inside another tmux that is a nested client).
    public enum Attach: Sendable, Equatable {
        case switchClient([String])
        case attach([String])

        public var argv: [String] {
            switch self {
            case .switchClient(let argv), .attach(let argv): argv
            }
        }
    }

    /// The decision, from the `TMUX` variable (`socket,pid,session`) of the caller's environment.
    public static func attach(tmux: Tmux, pane: AgentRecord.TmuxPane, callerTMUX: String?) -> Attach {
        let callerSocket = callerTMUX.flatMap { $0.split(separator: ",").first.map(String.init) }
        if let callerSocket, callerSocket == pane.socket {
            return .switchClient(tmux.argv(["switch-client", "-t", pane.pane]))
        }
        return .attach(tmux.argv(["attach-session", "-t", pane.pane]))
    }

    /// Where `logs` reads from.
    public enum LogSource: Sendable, Equatable {
        /// The live pane (`capture-pane`).
        case pane(String)
        /// A log file: the pane's kept output, or `--exec`'s.
        case file(String)

        public var description: String {
            switch self {
            case .pane(let pane): "tmux pane \(pane)"
            case .file(let path): path
            }
        }
    }

    public static func agentLog(_ session: Session, home: String) -> String {
        session.agent?.log ?? home + "/logs/\(session.id).agent.log"
    }

    public static func execLog(_ session: Session, home: String) -> String { home + "/logs/\(session.id).exec.log" }

    /// What the worker printed, its last `lines` lines: the live pane when the agent runs in one,
    /// else the agent's log file, else `--exec`'s (`exec` asks for that one alone).
    public static func logs(_ session: Session, home: String, lines: Int, exec: Bool) throws(PPDSError) -> (source: LogSource, text: String) {
        if !exec, let (tmux, pane) = try? livePane(of: session, home: home) {
            let captured = try tmux.capture(pane.pane, lines: lines)
            return (.pane(pane.pane), lastLines(trimmingTrailingBlank(captured), lines))
        }
        let candidates = exec ? [execLog(session, home: home)] : [agentLog(session, home: home), execLog(session, home: home)]
        for file in candidates {
            let data: Data?
            do { data = try PrivateFile.read(file, limit: 64 << 20) } catch { throw PPDSError.refused("\(error.path): \(error.message)") }
            // A pane's output was written for a terminal: lines end in CR LF, which Swift reads
            // as one Character, so without this no line of the file was ever split off.
            if let data { return (.file(file), lastLines(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"), lines)) }
        }
        throw PPDSError.notFound("\(session.issue.tag) has no \(exec ? "--exec " : "")log (looked for \(candidates.joined(separator: ", "))); 'ppds spawn \(session.issue.value)' starts an agent whose output is kept")
    }

    static func trimmingTrailingBlank(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// The last `count` lines of `text` (a final newline kept).
    public static func lastLines(_ text: String, _ count: Int) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.suffix(max(count, 0))
        return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
    }
}

extension AgentReach {
    /// `guide`'s relay to an agent without hooks: the guidance typed into its pane (one line,
    /// then Enter), when it runs here in tmux. What was done, for the orchestrator to see; nil
    /// when the agent reads guidance through its hooks (or through `ppds wait`), or cannot be reached.
    public static func typeGuidance(_ session: Session, home: String, text: String) -> String? {
        guard let record = session.agent, !record.hasHooks,
              let (tmux, pane) = try? livePane(of: session, home: home) else { return nil }
        // One line of text, never keys: the guidance may be a stuck option the agent wrote, and a
        // control character typed into a pane acts (Ctrl-C interrupts, Ctrl-U erases, ESC begins
        // a sequence). Each unsafe character (line breaks included) is typed as a space.
        let line = String(String.UnicodeScalarView(text.unicodeScalars.map { TerminalText.isUnsafe($0) ? " " : $0 }))
        guard (try? tmux.sendLiteral(pane.pane, text: line, enter: true)) != nil else { return nil }
        return "typed into \(session.issue.tag)'s agent \(record.name) too (it has no hooks)"
    }
}
