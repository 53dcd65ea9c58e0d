import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support
import Replication

/// The one diagnosis's problems in words, and as JSON: the text for every front end is made here.
public enum ProblemText {
    /// What a person reads about the problem. Untrusted parts (paths, branches) are escaped
    /// where it is printed, not here.
    public static func message(_ problem: Problem) -> String {
        switch problem {
        case .corruptSessionFile(let file, let reason, let quarantine):
            return "\(file): \(reason); --fix moves it to \(quarantine)"
        case .interruptedOperation(let interruption):
            return message(interruption)
        case .staleWorktreeEntry(let entry):
            switch entry {
            case .undecodablePath(let name, _):
                return ".git/worktrees/\(name): its folder's path is not UTF-8; ppds leaves it alone (use git worktree)"
            case .holdsStagedWork(let name, let path, _):
                return ".git/worktrees/\(name): its folder \(path ?? "") is gone, and its index holds staged changes found nowhere else; kept for when the folder is back (an unmounted disk?); 'git worktree prune' drops it if the folder is gone for good"
            case .prunable(let name, let path, _, let halfMade):
                let what = halfMade ? "a half-made admin entry" : "its folder \(path ?? "") is gone"
                return ".git/worktrees/\(name): \(what); --fix prunes the entry (files and branch stay)"
            }
        case .sessionWithoutWorktree(let ref, let absence):
            switch absence {
            case .folderWithoutEntry:
                return "\(ref.worktree) exists but git has no worktree entry for it (see 'git worktree repair')"
            case .missing(let status, let parentMissing, let entryKept, let branchExists):
                let recreate = branchExists
                    ? "'ppds start-work \(ref.issue.value)' recreates it from \(ref.branch)"
                    : "its branch \(ref.branch) is gone too: 'ppds cancel \(ref.issue.value)' ends the session"
                if parentMissing {
                    return "\(ref.worktree) is missing and so is its parent folder (an unmounted disk?) while the session is \(status.fileValue); mount it, or \(recreate)"
                }
                if !entryKept {
                    return "\(ref.worktree) is gone and git has no entry for it (removed with 'git worktree remove'?) while the session is \(status.fileValue); \(recreate)"
                }
                return "\(ref.worktree) is missing while the session is \(status.fileValue); its git entry is kept in case a disk is unmounted. \(recreate)"
            case .finishedUnmarked:
                return "the worktree \(ref.worktree) is gone; --fix marks the session (its branch stays)"
            }
        case .branchMismatch(let ref, .checkedOut(let head)):
            let what: String
            switch head {
            case .branch(let name): what = "branch \(name)"
            case .detached(let id): what = "a detached HEAD at \(id.short)"
            case .unknown: what = "an unreadable HEAD"
            }
            return "the worktree has \(what) checked out, not \(ref.branch)"
        case .branchMismatch(let ref, .heldBy(let holder)):
            return "\(ref.branch) is checked out in \(holder), not in the session's worktree"
        case .branchMissing(let ref):
            return "branch \(ref.branch) does not exist; recreate it ('git branch \(ref.branch) <commit>') or end the session ('ppds cancel \(ref.issue.value)')"
        case .staleSession(_, let status, let idle):
            return "no update for \(HumanDuration.describe(idle)) (status \(status.fileValue)); a hint, not a verdict"
        case .agentEnded(let ref, let status, let end):
            let how = AgentText.ended(end)
            return "\(how) while \(status.fileValue); 'ppds spawn \(ref.issue.value)' starts it again, or 'ppds update \(ref.issue.value) --status stuck --reason …' says why it stopped"
        case .mergedReadyToPrune(_, let merged, let ownCommits):
            return ownCommits == false
                ? "no commits of its own; 'ppds prune' cleans it up once older than --min-age"
                : "\(merged.spoken); 'ppds prune' will clean it up"
        case .duplicateClaim(let claim, let claimants):
            return "\(claimants.map(\.tag).joined(separator: ", ")) all claim \(claim)"
        case .worktreeWithoutSession(let path, _):
            return "\(path) has no session ('ppds prune --all' removes it once merged)"
        case .registry(let finding):
            return message(finding)
        }
    }

    static func message(_ interruption: Problem.Interruption) -> String {
        switch interruption {
        case .running(let operation, _, _, _, let pid):
            return "\(operation.rawValue) is running (pid \(pid))"
        case .failed(let operation, _, _, _, let failure):
            return "\(operation.rawValue) failed and exited (\(failure)); --fix puts back anything it moved and judges it again"
        case .killed(let operation, _, _, _, let pid):
            let fix = operation == .prune ? "puts back what it moved to the trash and judges it again" : "rolls it back"
            return "\(operation.rawValue) was killed (pid \(pid) is gone); 'ppds doctor --fix' \(fix), and a rerun then succeeds"
        case .trashStep(let state, _, let worktree, _, let pid):
            let step = state == .moving ? "move" : state == .restoring ? "restore" : "empty"
            return "a trash \(step) of \(worktree) was killed (pid \(pid) is gone); --fix \(state == .moving ? "puts it back" : "finishes it")"
        case .unreadableRecord(let file):
            return "\(file): an unreadable intent record"
        }
    }

    static func message(_ finding: Problem.RegistryFinding) -> String {
        switch finding {
        case .refused(_, let reason): reason
        case .diverged(_, let remote): "this machine's history and '\(remote)'s diverged; 'ppds sync' merges them"
        case .notPushed(_, let remote, .ahead): "committed here but not pushed to '\(remote)'; run 'ppds sync'"
        case .notPushed(_, let remote, .neverPushed): "never pushed to '\(remote)'; run 'ppds sync'"
        case .notPushed(_, let remote, .changedSinceSync): "the session changed since the last 'ppds sync' with '\(remote)'"
        case .conflict(let issue, let label, let id):
            "runs here and on \(label) (\(id)); sync keeps the local session and does not replicate it. Work on it on one machine and end it on the other ('ppds cancel \(issue.value)'): claims (registry.remote) prevent this only for sessions started after it was set"
        case .claimWithoutSession(let issue, let remote):
            "is claimed on '\(remote)' by this machine but has no session here; no other machine can start it. 'git push \(remote) :\(RegistryRefs.claim(issue))' releases it"
        }
    }

    /// The problem in doctor's JSON: `kind` is its name.
    public static func json(_ problem: Problem) -> JSONValue {
        json(problem, kind: problem.name)
    }

    /// The problem in status's JSON: `kind` keeps the name status has always used
    /// (`statusName`); `name` is the one diagnosis's.
    public static func statusJSON(_ problem: Problem) -> JSONValue {
        json(problem, kind: problem.statusName)
    }

    private static func json(_ problem: Problem, kind: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "kind": .string(kind), "name": .string(problem.name), "group": .string(problem.group.rawValue),
            "message": .string(message(problem)), "fixable": .bool(problem.fixable),
            "issue": problem.issue.map { .string($0.tag) } ?? .null,
        ]
        if let worktree = problem.worktree { fields["worktree"] = .string(worktree) }
        if let branch = problem.branch { fields["branch"] = .string(branch) }
        if let file = problem.file { fields["file"] = .string(file) }
        return .object(fields)
    }
}

extension DoctorReport {
    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["healthy"] = .bool(healthy)
        out["problems"] = .array(found.map(ProblemText.json))
        out["repairs"] = .array(repairs.map(JSONValue.string))
        out["remaining"] = .array(remaining.map(ProblemText.json))
        return out
    }
}
