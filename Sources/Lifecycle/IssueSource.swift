import Foundation
import Config
import GitKit
import SessionKit
import Support

/// Titles and labels from the `gh` CLI, when it is on PATH.
public enum IssueSource {
    /// `gh issue view <n> --json number,title,labels`, run by argv in the repository.
    /// Returns nil (with the reason) when gh is missing or fails.
    public static func lookup(_ issue: IssueNumber, repoRoot: String) -> (info: IssueInfo?, warning: String?) {
        guard ProcessRunner.find("gh") != nil else { return (nil, nil) }
        let output: ProcessRunner.Output
        do {
            output = try ProcessRunner.run(["gh", "issue", "view", String(issue.value), "--json", "number,title,labels"],
                                           in: repoRoot, timeout: 30)
        } catch {
            return (nil, "gh: \(error.message)")
        }
        guard output.status == 0, !output.timedOut else {
            let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return (nil, "gh issue view \(issue.value) failed: \(output.timedOut || reason.isEmpty ? output.summary : reason)")
        }
        guard let object = (try? JSONValue.parse(Data(output.stdout.utf8)))?.objectValue else {
            return (nil, "gh issue view \(issue.value) printed something that is not a JSON object")
        }
        let title = object["title"]?.stringValue
        let labels = (object["labels"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue ?? $0.stringValue }
        return (IssueInfo(issue: issue, title: title, labels: labels), nil)
    }
}
