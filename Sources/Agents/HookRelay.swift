import Foundation
import SessionKit
import Support
import LifecycleCore

extension HookRunner.Relay {
    /// The full program's: libgit2's discovery, and guidance from this machine or a trusted one
    /// handed to the agent after the event.
    public static var fullProgram: HookRunner.Relay { HookRunner.Relay(
        finder: Workspace.libgit2MainWorktree,
        beforeApplying: { _, _, _, _ in nil },
        deliverPending: { payload, issue, projectDir in
            guard let pending = AgentHooks.pendingGuidance(payload, issue: issue, projectDir: projectDir) else { return }
            // Printed first, marked read after: a hook killed in between delivers it again. A
            // failed write (stdout closed) leaves it unread, where FileHandle.write would trap.
            if let reason = FileDescriptor.writeAll(STDOUT_FILENO, Data((pending.answer + "\n").utf8)) {
                throw PPDSError.io("could not hand the guidance to the agent (\(reason)); it stays unread")
            }
            try WorkerInbox.acknowledge(pending.guidance.map(\.id), of: pending.issue, in: pending.store)
            HookRunner.say("\(pending.issue.tag): handed \(pending.guidance.count) guidance message\(pending.guidance.count == 1 ? "" : "s") to the agent")
        }) }
}

extension HookRunner {
    /// The full program's hook (`ppds-full hook claude`).
    public static func run(_ words: [String]) { run(words, relay: .fullProgram) }
}
