import Foundation
import SessionKit
import Support

/// An issue's words for a worker's first prompt: title, body and labels, as the tracker gives them.
public struct IssueText: Sendable, Equatable {
    public var title: String?
    public var body: String?
    public var labels: [String]

    public init(title: String?, body: String?, labels: [String]) {
        self.title = title
        self.body = body
        self.labels = labels
    }
}

extension IssueSource {
    /// The longest body kept for a prompt: a worker can read the rest with `gh issue view`.
    public static let bodyLimit = 32 << 10

    /// `gh issue view <n> --json title,body,labels`, by argv in the repository; nil when gh is
    /// missing or cannot say (the prompt is then made from what the session knows).
    public static func text(_ issue: IssueNumber, repoRoot: String) -> IssueText? {
        guard ProcessRunner.find("gh") != nil,
              let output = try? ProcessRunner.run(["gh", "issue", "view", String(issue.value), "--json", "title,body,labels"],
                                                  in: repoRoot, timeout: 30, outputLimit: GitHubCLI.outputLimit),
              output.status == 0, !output.timedOut, !output.overflowed,
              let object = (try? JSONValue.parse(Data(output.stdout.utf8)))?.objectValue else { return nil }
        var body = object["body"]?.stringValue
        if let text = body, text.utf8.count > bodyLimit {
            body = String(decoding: Data(text.utf8.prefix(bodyLimit)), as: UTF8.self) + "\n[… cut at \(bodyLimit) bytes; `gh issue view \(issue.value)` has the rest]"
        }
        let labels = (object["labels"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue ?? $0.stringValue }
        return IssueText(title: object["title"]?.stringValue, body: body, labels: labels)
    }
}
