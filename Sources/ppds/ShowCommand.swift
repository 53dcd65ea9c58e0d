import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One session with its git state and guidance.")

    @Argument(help: "The issue (456, #456 or work-456). Default: the session whose worktree you are in.")
    var issue: IssueNumber?
    @OptionGroup var repo: RepoOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let store = CLI.store
            let issue = try CLI.issue(issue, store: store)
            let session = try store.load(issue)
            let workspace = try Workspace.locate(repo: repo.repo ?? session.repo)
            let git = try GitFactReader(repository: try workspace.openRepository()).state(of: session, includeDirty: true)
            let view = SessionView(session: session, git: git)
            if json {
                var out = OrderedJSON()
                out["version"] = .int(1)
                out["session"] = view.json
                CLI.printJSON(out)
            } else {
                print(ShowText.render(view))
            }
        }
    }
}

enum ShowText {
    static func render(_ view: SessionView, now: Date = Date()) -> String {
        let session = view.session, git = view.git
        let safe = { (text: String) in TerminalText.escaped(text) }  // untrusted fields, made safe to print
        var lines = ["\(session.issue.tag) \(safe(session.title ?? ""))".trimmingCharacters(in: .whitespaces)]
        lines.append("  status:    \(safe(session.status.fileValue))" + (session.pausedFrom.map { " (from \(safe($0.fileValue)))" } ?? ""))
        lines.append("  branch:    \(safe(session.branch))" + (git.branchExists ? "" : " (missing)"))
        lines.append("  worktree:  \(safe(session.worktree))" + (git.worktreeExists ? "" : " (missing)"))
        if let base = session.base { lines.append("  base:      \(safe(base))" + (session.baseCommit.map { " at \(safe(String($0.prefix(7))))" } ?? "")) }
        if let ahead = git.ahead, let behind = git.behind { lines.append("  ahead:     \(ahead), behind \(behind)") }
        if let dirty = git.dirty { lines.append("  changes:   \(dirty.summary)") }
        if let merged = git.merged { lines.append("  merged:    yes (\(merged.rawValue))") }
        if let pr = session.pr { lines.append("  pr:        \(safe(pr))") }
        lines.append("  started:   \(Timestamp.format(session.started)) (\(HumanDuration.describe(now.timeIntervalSince(session.started))) ago)")
        lines.append("  updated:   \(Timestamp.format(session.lastUpdate)) (\(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate))) ago)")
        if let stuck = session.stuck {
            lines.append("  stuck:     \"\(safe(stuck.reason))\" since \(Timestamp.format(stuck.since))")
            if let context = stuck.context { lines.append("    context: \(safe(context))") }
            if !stuck.options.isEmpty { lines.append("    options: \(stuck.options.map { safe($0) }.joined(separator: ", "))") }
        }
        if !session.guidance.isEmpty {
            lines.append("  guidance:")
            for item in session.guidance { lines.append("    [\(Timestamp.format(item.at))] \(safe(item.message))") }
        }
        return lines.joined(separator: "\n")
    }
}
