import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import Agents
import LifecycleCore

/// `ppds hook claude [<issue>]`: what the entries `agent-hooks` writes run. Hidden: Claude Code
/// calls it, people do not. `PPDS.main` sends it here before argument parsing, so no argument
/// can make it exit non-zero (exit 2 would block the prompt or the stop).
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Run by agent hooks: reads the hook's JSON payload on stdin and updates the session.",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough) var words: [String] = []

    func run() throws { HookRunner.run(words) }
}

enum HookRunner {
    /// Reads the payload, applies it, and says what happened on stderr. Always returns (exit 0).
    /// Stdout, which Claude Code reads, carries only guidance the worker has not read yet.
    static func run(_ words: [String]) {
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
