import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import LifecycleCore

/// `ppds trash`: what prune, cancel --remove and doctor moved aside, restorable until it expires.
struct TrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trash",
        abstract: "List removed worktrees that can still be restored; 'trash empty' deletes them.",
        subcommands: [TrashListCommand.self, TrashEmptyCommand.self],
        defaultSubcommand: TrashListCommand.self)

    static func open(_ repo: RepoOption) throws(PPDSError) -> (Workspace, Trash) {
        let workspace = try repo.workspace()
        let repository = try workspace.openRepository()
        return (workspace, Trash(workspace: workspace, repository: repository))
    }

    static func json(_ entries: [TrashManifest], key: String = "entries") -> OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out[key] = .array(entries.map(\.json))
        return out
    }

    static func line(_ entry: TrashManifest) -> String {
        let who = entry.issueNumber?.tag ?? entry.id
        let size = entry.bytes >= 1 << 20 ? "\(entry.bytes >> 20) MiB" : "\(entry.bytes >> 10) KiB"
        var text = TerminalText.escaped("\(who) \(entry.branch ?? "-") \(entry.worktree) trashed \(entry.trashedAt), expires \(entry.expiresAt), \(size)")
        if entry.state != .trashed { text += " [\(entry.state.rawValue), interrupted: 'ppds doctor --fix']" }
        if !entry.unique.isEmpty { text += "\n    only here: " + TerminalText.escaped(entry.unique.joined(separator: "; ")) }
        return text
    }
}

struct TrashListCommand: JSONCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the trash (the default).")
    @OptionGroup var repo: RepoOption
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (_, trash) = try TrashCommand.open(repo)
        let listing = trash.entriesWithSizes()
        if json {
            CLI.printJSON(TrashCommand.json(listing.entries))
        } else {
            if listing.entries.isEmpty { print("The trash is empty.") }
            for entry in listing.entries { print(TrashCommand.line(entry)) }
            for bad in listing.unreadable { CLI.printError("\(bad): not a trash entry of this repository and PPDS_HOME (its manifest is missing, unreadable, or names places ppds would not use); left alone") }
        }
    }
}

struct TrashEmptyCommand: JSONCommand {
    static let configuration = CommandConfiguration(commandName: "empty", abstract: "Delete trash entries (and the refs that keep their commits).")
    @OptionGroup var repo: RepoOption
    @Option(name: .customLong("older-than"), help: "Only entries trashed longer ago than this (e.g. 7d, 12h).") var olderThan: DurationArgument?
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, trash) = try TrashCommand.open(repo)
        let removed = try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> [TrashManifest] in
            try trash.empty(before: olderThan.map { Date().addingTimeInterval(-$0.seconds) })
        }
        if json {
            CLI.printJSON(TrashCommand.json(removed, key: "deleted"))
        } else {
            print(removed.isEmpty ? "Nothing to delete." : removed.map { "deleted \($0.issueNumber?.tag ?? $0.id) (\($0.worktree))" }.joined(separator: "\n"))
        }
    }
}

struct RestoreCommand: JSONCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a removed worktree back from the trash: folder, git entry, branch at its old tip, session.")
    @Argument(help: "The issue, or the entry's id as 'ppds trash' shows it (for a worktree that had no session).") var entry: String
    @OptionGroup var repo: RepoOption
    @OptionGroup var output: OutputOptions

    func execute() throws {
        let (workspace, trash) = try TrashCommand.open(repo)
        let issue = IssueNumber(parsing: entry)
        let restored = try workspace.withRepositoryLock("prune") { () throws(PPDSError) -> TrashManifest in
            if let issue { return try trash.restore(issue: issue) }
            return try trash.restore(id: entry)
        }
        if json {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["restored"] = restored.json
            CLI.printJSON(out)
        } else {
            print(TerminalText.escaped("\(issue?.tag ?? restored.id) restored: \(restored.worktree)" + (restored.branch.map { " on \($0)" } ?? "")))
        }
    }
}
