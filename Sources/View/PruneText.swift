import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support

/// Prune's results for people and for JSON: the words for each `RemovalReason` (and the
/// command that overrides a refusal) are made here only. Its warnings go to stderr, by the caller.
public enum PruneText {
    public static func render(_ report: PruneReport) -> String {
        var lines: [String] = []
        if report.results.isEmpty { lines.append("Nothing to prune.") }
        for result in report.results {
            let who = TerminalText.escaped(result.issue?.tag ?? (result.worktree ?? "?"))
            lines.append("\(symbol(result.outcome)) \(who) \(result.outcome.rawValue): " + (result.branch.map { TerminalText.escaped($0) + " — " } ?? "") + TerminalText.escaped(describe(result.reason)))
            if !result.ignored.isEmpty, result.outcome == .wouldRemove || result.outcome == .removed {
                lines.append("    ignored content \(result.outcome == .removed ? "moved to the trash" : "that would go to the trash") with it: \(TerminalText.escaped(result.ignored.joined(separator: ", ")))")
            }
            if !result.unique.isEmpty, result.outcome == .removed {
                lines.append("    found nowhere else (kept in the trash): \(TerminalText.escaped(result.unique.joined(separator: "; ")))")
            }
        }
        for entry in report.staleEntries {
            lines.append("\(report.dryRun ? "would prune" : "pruned") stale worktree entry \(TerminalText.escaped(entry))")
        }
        return lines.joined(separator: "\n")
    }

    public static func symbol(_ outcome: PruneOutcome) -> String {
        switch outcome {
        case .removed: "🗑 "
        case .wouldRemove: "→"
        case .failed: "✘"
        default: "·"
        }
    }

    /// The JSON document (`ppds prune --json`); `reason` is the English, `reasonKind` the case.
    public static func json(_ report: PruneReport) -> OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["dryRun"] = .bool(report.dryRun)
        out["results"] = .array(report.results.map(json))
        out["staleWorktreeEntries"] = .array(report.staleEntries.map(JSONValue.string))
        out["warnings"] = .array(report.warnings.map { .string(describe($0)) })
        out["hints"] = .array(report.hints.map(\.json))
        return out
    }

    public static func json(_ result: PruneResult) -> JSONValue {
        var object: [String: JSONValue] = [
            "trash": result.trashID.map(JSONValue.string) ?? .null,
            "unique": .array(result.unique.map(JSONValue.string)),
            "issue": result.issue.map { .string($0.tag) } ?? .null,
            "branch": result.branch.map(JSONValue.string) ?? .null,
            "worktree": result.worktree.map(JSONValue.string) ?? .null,
            "outcome": .string(result.outcome.rawValue),
            "reason": .string(describe(result.reason)),
            "reasonKind": .string(result.reason.kind),
            "merged": result.merged.map { .string($0.rawValue) } ?? .null,
            "ignored": .array(result.ignored.map(JSONValue.string)),
        ]
        // The processes that keep the folder, for a front end to name or end them.
        if case .usedByProcesses(let users) = result.reason {
            object["usedBy"] = .array(users.map { user in
                .object(["pid": .int(Int64(user.pid)), "command": .string(user.command), "use": .string(user.use.rawValue), "path": .string(user.path)])
            })
        }
        return .object(object)
    }

    public static func describe(_ warning: PruneWarning) -> String {
        switch warning {
        case .worktreeMissing(let issue, let path):
            "\(issue.tag): worktreeMissing: \(path) is missing (an unmounted disk?); its git entry was kept"
        case .mostFoldersMissing(let missing, let total):
            "\(missing) of \(total) worktree folders are missing; their git entries were left alone. Run 'ppds doctor' first."
        case .note(let text):
            text
        }
    }

    /// A reason in words, with the command that overrides a refusal where one exists.
    public static func describe(_ reason: RemovalReason) -> String {
        switch reason {
        case .noSession(let issue, let repoRoot):
            return "no session for \(issue.tag) in \(repoRoot)"
        case .unreadableSessionFile(let file, let problem):
            return "\(file) could not be read: \(problem)"
        case .factsUnavailable(let problem), .baseUnusable(let problem), .applyFailed(let problem):
            return problem
        case .sessionActive(let status):
            return "the session is \(status.fileValue)"
        case .locked(let why):
            return "the worktree is locked" + (why.isEmpty ? "" : " (\(why))")
        case .claimedByOthers(let others):
            return "\(others.map(\.tag).joined(separator: ", ")) also claim\(others.count == 1 ? "s" : "") its worktree or branch; see 'ppds doctor'"
        case .otherBranchCheckedOut(let checkedOut, let claimed):
            return "the worktree has \(checkedOut) checked out, not \(claimed ?? "the session's branch")"
        case .headUnreadable:
            return "the worktree's HEAD cannot be read"
        case .notLinkedToEntry(let path):
            return "\(path)/.git does not point at this repository's entry for it; it is not this worktree"
        case .mounted(let mount):
            return "a file system is mounted at \(mount); unmount it first"
        case .nestedWorktree(let nested):
            return "another worktree lives inside it (\(nested)); move or remove that one first"
        case .holdsCurrentFolder:
            return "you are inside it; run prune from another folder (for example the main worktree)"
        case .usedByProcesses(let users):
            let named = users.prefix(3).map { user in
                let use = switch user.use {
                case .currentFolder: "its current folder is inside"
                case .root: "its root folder is inside"
                case .openFile: "it has \(user.path) open"
                case .mappedFile: "it has \(user.path) mapped"
                }
                return "process \(user.pid) (\(user.command)): \(use)"
            }.joined(separator: "; ")
            let more = users.count > 3 ? " and \(users.count - 3) more" : ""
            return "in use by \(named)\(more); end \(users.count == 1 ? "it" : "them") first ('ppds stop' ends a session's agent), then prune again"
        case .folderWithoutEntry(let path):
            return "\(path) exists but git has no worktree entry for it; see 'ppds doctor'"
        case .mergeCheckFailed(let error):
            return "merge check failed: \(error)"
        case .tooNew(let branch):
            return "\(branch) has no commits of its own and is younger than --min-age (default 1 h); 'ppds prune --min-age 0s' clears it now (into the trash, restorable)"
        case .statusUnreadable(let error):
            return "could not read the worktree's status: \(error)"
        case .dirty(let summary):
            return "the worktree has \(summary); --force removes it"
        case .dirtyNotProvablyOurs(let summary):
            return "the worktree has \(summary); --force does not apply: ppds cannot show this worktree is the session's (its branch has no creation record from ppds)"
        case .enclosedWork(let enclosed):
            return "\(enclosed.joined(separator: ", ")) hold\(enclosed.count == 1 ? "s" : "") work of its own (a submodule, a clone or another worktree inside, with commits on no remote or changes); --force --force-delete removes it"
        case .privateCommits(let refs):
            return "\(refs.joined(separator: ", ")) of this worktree name\(refs.count == 1 ? "s" : "") commits found on no shared ref; --force-delete removes them"
        case .branchUnmerged(let unmerged):
            let hint = unmerged.matchesIgnoringWhitespace
                ? "; the base has the same change ignoring whitespace, which is not proof (whitespace can matter)" : ""
            let note = unmerged.baseNote.map { "; \($0)" } ?? ""
            let elsewhere = unmerged.fetchedThisRun ? "name the branch it was merged into with --base REF" : "'ppds prune --fetch' (or --base REF) first"
            return "\(unmerged.branch) is not merged into \(unmerged.base) (\(unmerged.unpushed))\(hint)\(note); if it was merged elsewhere, \(elsewhere); --force-delete deletes it"
        case .detachedHeadUnmerged(let commit, let base, let matchesIgnoringWhitespace):
            let hint = matchesIgnoringWhitespace ? "; the base has the same change ignoring whitespace, which is not proof" : ""
            return "the worktree's detached HEAD \(commit.short) holds commits not merged into \(base)\(hint); --force-delete removes it"
        case .branchCheckedOutElsewhere(let branch, let holder):
            return "\(branch) is checked out in \(holder); not deleting it"
        case .removable(let removal):
            var parts: [String] = []
            switch removal.evidence {
            case .merged(let check, let into):
                // Said as a person would; the JSON's `merged` keeps the exact check.
                parts.append((check == .sameCommit ? "merged (the same commit)" : check.spoken) + (into.map { " into \($0)" } ?? ""))
            case .forced:
                parts.append("unmerged, removed by --force-delete")
            case .branchGone:
                parts.append("branch already gone")
            }
            if let kept = removal.keptBranch {
                parts.append("\(kept) kept: ppds cannot show it created it (no 'branch: Created from' reflog entry at the session's base commit)")
            }
            if let restore = removal.restore {
                parts.append("restore with 'ppds restore \(restore.name)' until \(restore.until)")
            }
            return parts.joined(separator: "; ")
        }
    }
}
