import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

extension IssueNumber: ExpressibleByArgument {
    /// `456`, `#456` or `work-456`; anything else is a usage error naming the value.
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

/// `--repo`, on every command that touches git.
struct RepoOption: ParsableArguments {
    @Option(name: .long, help: "The repository (any folder of its main or a linked worktree). Default: the current folder.")
    var repo: String?

    func workspace() throws(PPDSError) -> Workspace {
        try Workspace.locate(repo: repo)
    }
}

extension PPDSError {
    /// The contract's exit code for this error: the one place reasons become exit codes.
    var exitCode: Int32 {
        switch reason {
        case .usage: 64
        case .notFound, .conflict, .refused, .invalid: 2
        case .io, .git, .failed: 1
        }
    }
}

enum CLI {
    static var store: SessionStore { SessionStore(home: SessionStore.defaultHome()) }

    /// Runs a command body; maps failures to a message on stderr and the contract's exit code.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let failure = PPDSError.from(error)
            printError(failure.message)
            throw ExitCode(failure.exitCode)
        }
    }

    /// `ppds: <message>` on stderr. Messages quote untrusted text (paths, branches, git and hook
    /// output), so control characters are escaped; line breaks are kept, with the lines after
    /// the first indented so nothing in a message can pass for a line of its own.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((TerminalText.block(message, prefix: "ppds: ") + "\n").utf8))
    }

    static func printJSON(_ object: OrderedJSON) {
        print(JSONWriter.write(object))
    }

    /// The named issue, or the session whose worktree holds the current folder.
    static func issue(_ given: IssueNumber?, store: SessionStore) throws(PPDSError) -> IssueNumber {
        if let given { return given }
        return try SessionChanges.inferIssue(from: FileManager.default.currentDirectoryPath, in: store)
    }

    /// The view's options: `--stale-after` (validated already), else the configured `stale_after`.
    static func statusOptions(staleAfter: String?, config: Config) -> StatusReport.Options {
        var options = StatusReport.Options()
        if let seconds = staleAfter.flatMap({ HumanDuration.parse($0) }) ?? config.staleAfter { options.staleAfter = seconds }
        return options
    }

    /// Colour only on a terminal, and never with NO_COLOR set.
    static var useColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    /// Reports one changed session: JSON or a line for people.
    static func report(_ session: Session, json: Bool, verb: String) {
        if json {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["session"] = session.json.objectValue
            printJSON(out)
        } else {
            print("\(session.issue.tag) \(verb): \(TerminalText.escaped(session.status.fileValue))")
        }
    }
}
