import Foundation
import Config
import SessionKit
import Support

/// A spawned agent's first prompt: the issue (title, body, labels) and the worker protocol, from
/// a template the project can replace with `.ppds/prompt.md` (used only once `ppds trust`ed: it
/// instructs an agent that runs tools).
///
/// Placeholders, each filled once (a value holding `{body}` is not filled again): `{issue}`,
/// `{title}`, `{body}`, `{labels}`, `{branch}`, `{worktree}`.
public enum AgentPrompt {
    public static let defaultTemplate = """
    You are the worker for issue #{issue}: {title}
    Labels: {labels}
    You work on branch {branch} in the worktree {worktree} (your current folder); commit there.

    The issue:
    {body}

    Report your progress with ppds (run these in this folder; each prints any guidance you have not read yet):
    1. Plan first: `ppds update --status planning`. Read the code, then write your plan to a file and attach it:
       `ppds update --status planning_complete --plan plan.md` (or `--plan -` to read it from standard input).
       Then run `ppds wait`: it prints the reviewer's answer (approved, or what to change) when it comes.
       If asked to revise, attach the new plan the same way and wait again.
    2. Once approved: `ppds update --status working`, and work.
    3. When you need a human decision: `ppds update --status stuck --reason "the question" --context "what they need to know" --option "first choice" --option "second choice"`,
       then `ppds wait` for the answer, then `ppds update --status working` and go on with it.
    4. When done and committed: `ppds ship --push --create-pr` (or `ppds ship --pr URL` when the pull request exists).
    """

    /// The template in use and where it came from; a project template that is not trusted is
    /// passed over with a warning saying how to trust it.
    public static func template(repoRoot: String, home: String) -> (text: String, source: String, warning: String?) {
        let file = repoRoot + "/" + Trust.promptFile
        let read: String?
        do {
            read = try Config.readRepositoryFile(file)
        } catch {
            return (defaultTemplate, "built-in", "\(error.message); the built-in prompt is used")
        }
        guard let text = read else { return (defaultTemplate, "built-in", nil) }
        guard Trust.isPromptTrusted(repoRoot: repoRoot, content: text, home: home) else {
            return (defaultTemplate, "built-in", "\(file) is not trusted; the built-in prompt is used: review it, then run 'ppds trust'")
        }
        return (text, file, nil)
    }

    /// The template with its placeholders filled, in one pass.
    public static func render(_ template: String, session: Session, title: String?, body: String?, labels: [String]) -> String {
        let values: [String: String] = [
            "issue": String(session.issue.value),
            "title": title ?? session.title ?? "(no title)",
            "body": body.map { $0.isEmpty ? "(no description)" : $0 } ?? "(the tracker gave no description; `gh issue view \(session.issue.value)` may)",
            "labels": labels.isEmpty ? "(none)" : labels.joined(separator: ", "),
            "branch": session.branch,
            "worktree": session.worktree,
        ]
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }
}
