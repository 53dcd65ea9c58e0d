import Foundation
import SessionKit
import Support

/// `ppds hook claude [<issue>]` as both executables run it: the front (`ppds`) answers it itself, so
/// an agent's hook never loads the full program; `ppds-full hook` runs the same code.
public enum HookRunner {
    /// Reads the payload, applies it, and says what happened on stderr. Always returns (exit 0).
    /// Stdout, which Claude Code reads, carries only guidance the worker has not read yet.
    public static func run(_ words: [String]) {
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
            let payload = try ClaudeHookPayload.parse(readStdin(limit: ClaudeHookPayload.maxSize + 1))
            let projectDir = ProcessInfo.processInfo.environment["CLAUDE_PROJECT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            do {
                say(try AgentHooks.handle(payload, issue: issue, projectDir: projectDir).description)
            } catch {
                say(PPDSError.from(error).message)
            }
            if let pending = AgentHooks.pendingGuidance(payload, issue: issue, projectDir: projectDir) {
                // Printed first, marked read after: a hook killed in between delivers it again.
                FileHandle.standardOutput.write(Data((pending.answer + "\n").utf8))
                try WorkerInbox.acknowledge(pending.guidance.map(\.id), of: pending.issue, in: pending.store)
                say("\(pending.issue.tag): handed \(pending.guidance.count) guidance message\(pending.guidance.count == 1 ? "" : "s") to the agent")
            }
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

    static func say(_ message: String) {
        FileHandle.standardError.write(Data((TerminalText.block(message, prefix: "ppds hook: ") + "\n").utf8))
    }
}
