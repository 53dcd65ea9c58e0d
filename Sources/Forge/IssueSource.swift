import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// What gh said of an issue.
public enum IssueLookup: Sendable {
    /// gh found it: its title and labels.
    case found(IssueInfo)
    /// gh found it closed.
    case closed(IssueInfo)
    /// gh answered that the repository has no such issue (a typo, most likely).
    case missing(String)
    /// Nothing could be checked (gh is missing, offline, or said something else); the reason,
    /// when there is one worth saying.
    case unchecked(String?)
}

/// Titles and labels from the `gh` CLI, when it is on PATH.
public enum IssueSource {
    /// `gh issue view <n> --json number,title,labels,state`, run by argv in the repository
    /// (`state` is `OPEN` or `CLOSED`: gh's manual, https://cli.github.com/manual/gh_issue_view).
    public static func lookup(_ issue: IssueNumber, repoRoot: String) -> IssueLookup {
        guard ProcessRunner.find("gh") != nil else { return .unchecked(nil) }
        let output: ProcessRunner.Output
        do {
            output = try ProcessRunner.run(["gh", "issue", "view", String(issue.value), "--json", "number,title,labels,state"],
                                           in: repoRoot, timeout: 30, outputLimit: GitHubCLI.outputLimit)
        } catch {
            return .unchecked("gh could not check \(issue.tag) (\(error.message)); started without checking that it exists")
        }
        guard output.status == 0, !output.timedOut, !output.overflowed else {
            let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            // gh's words when the repository answered that no such issue exists.
            if reason.contains("Could not resolve to an issue") || reason.contains("Could not resolve to an Issue") {
                return .missing(reason)
            }
            return .unchecked("gh could not check \(issue.tag) (\(output.timedOut || output.overflowed || reason.isEmpty ? output.summary : reason)); started without checking that it exists")
        }
        guard let object = (try? JSONValue.parse(Data(output.stdout.utf8)))?.objectValue else {
            return .unchecked("gh issue view \(issue.value) printed something that is not a JSON object; started without checking that it exists")
        }
        let title = object["title"]?.stringValue
        let labels = (object["labels"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue ?? $0.stringValue }
        let info = IssueInfo(issue: issue, title: title, labels: labels)
        return object["state"]?.stringValue?.uppercased() == "CLOSED" ? .closed(info) : .found(info)
    }
}
