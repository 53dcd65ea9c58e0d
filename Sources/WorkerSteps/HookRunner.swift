#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import SessionKit
import Support

/// `ppds hook claude [<issue>]` as both executables run it: the front (`ppds`) answers it itself, so
/// an agent's hook never loads the full program; `ppds-full hook` runs the same code.
public enum HookRunner {
    /// How an executable finds repositories and relays guidance: the full program with libgit2
    /// and the machines it trusts; the front with `GitDiscovery`, handing a payload that has
    /// guidance to relay (or a place it cannot judge) to the full program before anything changes.
    public struct Relay {
        public var finder: MainWorktreeFinder
        /// Runs before the event is applied, with the raw payload (the front may hand it on);
        /// the session it found, if any, is the one the event is then judged on.
        public var beforeApplying: (ClaudeHookPayload, IssueNumber?, String?, Data) -> AgentHooks.Located?
        /// Prints and marks read the guidance still unread after the event (the full program).
        public var deliverPending: (ClaudeHookPayload, IssueNumber?, String?) throws -> Void

        public init(finder: @escaping MainWorktreeFinder,
                    beforeApplying: @escaping (ClaudeHookPayload, IssueNumber?, String?, Data) -> AgentHooks.Located?,
                    deliverPending: @escaping (ClaudeHookPayload, IssueNumber?, String?) throws -> Void) {
            self.finder = finder
            self.beforeApplying = beforeApplying
            self.deliverPending = deliverPending
        }
    }

    /// Reads the payload, applies it, and says what happened on stderr. Always returns (exit 0).
    /// Stdout, which Claude Code reads, carries only guidance the worker has not read yet.
    public static func run(_ words: [String], relay: Relay) {
        do {
            guard let agent = words.first, AgentKind(rawValue: agent) == .claude else {
                throw PPDSError.usage("usage: ppds hook claude [<issue>] (the payload on stdin)")
            }
            var issue: IssueNumber?
            if words.count > 1 {
                guard words.count == 2, let parsed = IssueNumber(parsing: words[1]) else {
                    throw PPDSError.usage("'\(words.dropFirst().joined(separator: " "))' is not an issue number")
                }
                issue = parsed
            }
            guard isatty(STDIN_FILENO) == 0 else {
                throw PPDSError.usage("reads Claude Code's hook payload (JSON) on stdin")
            }
            let raw = readStdin(limit: ClaudeHookPayload.maxSize + 1)
            let payload = try ClaudeHookPayload.parse(raw)
            let projectDir = Environment.value("CLAUDE_PROJECT_DIR").flatMap { $0.isEmpty ? nil : $0 }
            let located = relay.beforeApplying(payload, issue, projectDir, raw)
            do {
                say(try AgentHooks.handle(payload, issue: issue, projectDir: projectDir, finder: relay.finder, located: located).description)
            } catch {
                say(PPDSError.from(error).message)
            }
            try relay.deliverPending(payload, issue, projectDir)
        } catch {
            say(PPDSError.from(error).message)
        }
    }

    /// Up to `limit` bytes, then drains the rest, so the writer never sees a broken pipe.
    static func readStdin(limit: Int) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            if count > 0 {
                if data.count < limit { data.append(contentsOf: buffer[0..<min(count, limit - data.count)]) }
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    public static func say(_ message: String) {
        StandardStream.error(TerminalText.block(message, prefix: "ppds hook: ") + "\n")
    }
}
