import Foundation
import SessionKit
import Support

/// What running `gh` gave: its JSON, or why the forge could not be asked. gh's output is
/// another program's text about other people's words: parsed, never run, never trusted.
public enum ForgeAnswer: Sendable {
    case json(JSONValue)
    /// gh said the thing asked about does not exist ("Could not resolve to …").
    case missing(String)
    /// gh is not on PATH, could not reach the forge, timed out, or printed something else.
    case unreachable(String)
}

/// Runs `gh` by argv (never a shell), in the repository, with a timeout and a bound on what it
/// may print (a thousand issues are well under a megabyte; an endless printer is stopped).
public enum GitHubCLI {
    public static let outputLimit = 8 << 20

    public static func run(_ arguments: [String], in directory: String, timeout: TimeInterval = 30,
                           outputLimit: Int = GitHubCLI.outputLimit) -> ForgeAnswer {
        guard ProcessRunner.find("gh") != nil else { return .unreachable("gh is not on PATH") }
        let output: ProcessRunner.Output
        do {
            output = try ProcessRunner.run(["gh"] + arguments, in: directory, timeout: timeout, outputLimit: outputLimit)
        } catch {
            return .unreachable("gh could not be run: \(error.message)")
        }
        if output.overflowed { return .unreachable("gh \(arguments.prefix(2).joined(separator: " ")) \(output.summary)") }
        guard output.status == 0, !output.timedOut else {
            let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            // gh's words when the forge answered that no such issue or pull request exists.
            if reason.range(of: "Could not resolve to a", options: .caseInsensitive) != nil
                || reason.range(of: "no pull requests found", options: .caseInsensitive) != nil {
                return .missing(String(reason.prefix(300)))
            }
            return .unreachable(output.timedOut || reason.isEmpty ? output.summary : String(reason.prefix(300)))
        }
        guard let value = try? JSONValue.parse(Data(output.stdout.utf8)) else {
            return .unreachable("gh \(arguments.prefix(2).joined(separator: " ")) printed something that is not JSON")
        }
        return .json(value)
    }
}
