#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import SessionKit
import Support
import WorkerSteps

/// `ppds update --status S [<issue>]` and `ppds path [<issue>]` as the front runs them: the forms
/// workers run at every step, with the same calls as the full program's `UpdateCommand` and
/// `PathCommand`. A line in any other form (`--json`, `--repo`, `--pr`, `--wait`, a value the
/// parser would refuse, …) is the full program's (`parse` returns nil).
enum WorkerCommand: Equatable {
    case update(status: SessionStatus, issue: IssueNumber?)
    case path(issue: IssueNumber?)

    static func parse(_ arguments: [String]) -> WorkerCommand? {
        guard let verb = arguments.first else { return nil }
        var issue: IssueNumber?
        var status: SessionStatus?
        var words = arguments.dropFirst()[...]
        while let word = words.popFirst() {
            if !word.hasPrefix("-") {
                // One positional: the issue, as the parser reads it.
                guard issue == nil, let parsed = IssueNumber(parsing: word) else { return nil }
                issue = parsed
            } else if verb == "update", status == nil, word == "--status" || word.hasPrefix("--status=") {
                let value: String
                if word == "--status" {
                    guard let next = words.popFirst(), !next.hasPrefix("-") else { return nil }
                    value = next
                } else {
                    value = String(word.dropFirst("--status=".count))
                }
                guard let parsed = SessionStatus(userValue: value) else { return nil }
                status = parsed
            } else {
                return nil
            }
        }
        switch verb {
        case "update":
            // The full program validates the change before running (and says so as a usage error).
            guard let status, (try? SessionChanges.update(status: status.fileValue, reason: nil, context: nil, options: [],
                                                           pr: nil, force: false)) != nil else { return nil }
            return .update(status: status, issue: issue)
        case "path":
            return .path(issue: issue)
        default:
            return nil
        }
    }

    /// Runs the command and exits as the full program would: its output, or the contract's
    /// message on stderr and exit code.
    func run() -> Never {
        lineBufferStandardOutput()
        do {
            switch self {
            case .update(let status, let issue): try Self.update(status, issue)
            case .path(let issue): try Self.path(issue)
            }
        } catch {
            // As the full program's CLI.fail without --json and --verbose.
            let failure = PPDSError.from(error)
            StandardStream.error(TerminalText.block(failure.message, prefix: "ppds: ") + "\n")
            exit(failure.exitCode)
        }
        exit(0)
    }

    /// UpdateCommand.execute without --plan, --wait and --json, for this machine's session with
    /// no guidance waiting: a session known only as another machine's copy, or one with
    /// guidance to hand over (which needs the machines this one trusts), is the full program's,
    /// before anything changes. Guidance that arrives after that look is handed over at the
    /// worker's next step, as it would be had it arrived a moment later.
    static func update(_ status: SessionStatus, _ given: IssueNumber?) throws {
        let change = try SessionChanges.update(status: status.fileValue, reason: nil, context: nil, options: [], pr: nil, force: false)
        let (store, workspace, issue) = try SessionTargeting.target(given, repo: nil, locate: FrontDiscovery.locate)
        guard let current = try? store.loadIfPresent(issue), current.undeliveredGuidance.isEmpty else { FullProgram.run() }
        let session = try SessionChanges.applyLocal(change, to: issue, in: store, workspace: workspace)
        print(TerminalText.escaped("\(session.issue.tag) is now \(session.status.fileValue)"))
    }

    /// PathCommand.execute.
    static func path(_ given: IssueNumber?) throws {
        let (store, _, issue) = try SessionTargeting.target(given, repo: nil, locate: FrontDiscovery.locate)
        let session = try store.load(issue)
        guard PlainFileCalls.exists(session.worktree) else {
            throw PPDSError.notFound("\(issue.tag)'s worktree \(session.worktree) does not exist")
        }
        print(session.worktree)
    }
}
