import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support

/// What git says about one session's branch and worktree, right now.
public struct SessionGitState: Sendable, Equatable {
    public var worktreeExists: Bool
    public var branchExists: Bool
    /// The commit the session's worktree has checked out (or the branch tip when the folder is gone).
    public var head: String?
    /// The branch the worktree has checked out, when that differs from the session's branch.
    public var checkedOutBranch: String?
    public var ahead: Int?
    public var behind: Int?
    public var merged: MergeCheck?
    /// False when the branch still points at the commit it was created at (`baseCommit`).
    public var hasOwnCommits: Bool?
    /// Another worktree that has the session's branch checked out.
    public var branchHeldBy: String?
    /// Only computed when asked: it stats every file.
    public var dirty: WorkingTreeStatus?

    public init(worktreeExists: Bool = false, branchExists: Bool = false) {
        self.worktreeExists = worktreeExists
        self.branchExists = branchExists
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "worktreeExists": .bool(worktreeExists),
            "branchExists": .bool(branchExists),
            "head": head.map(JSONValue.string) ?? .null,
            "ahead": ahead.map { .int(Int64($0)) } ?? .null,
            "behind": behind.map { .int(Int64($0)) } ?? .null,
            "merged": merged.map { .string($0.rawValue) } ?? .null,
        ]
        if let checkedOutBranch { fields["checkedOutBranch"] = .string(checkedOutBranch) }
        if let branchHeldBy { fields["branchHeldBy"] = .string(branchHeldBy) }
        if let hasOwnCommits { fields["hasOwnCommits"] = .bool(hasOwnCommits) }
        if let dirty {
            fields["dirty"] = .bool(dirty.isDirty)
            fields["changedFiles"] = .int(Int64(dirty.changed))
            fields["untrackedFiles"] = .int(Int64(dirty.untracked))
        }
        return .object(fields)
    }
}

/// Reads git facts for sessions from one repository handle. Not thread-safe: one per thread.
public final class GitFactReader {
    public let repository: Repository
    private let detector: MergeDetector
    private var worktreeIndex: WorktreeIndex
    private let pathByBranch: [String: String]
    private var baseTips: [String: ObjectID?] = [:]

    /// `worktrees` is the repository's worktree list, when the caller already read it.
    public init(repository: Repository, worktrees: [WorktreeInfo]? = nil) throws(PPDSError) {
        self.repository = repository
        self.detector = MergeDetector(repository: repository)
        let list: [WorktreeInfo]
        list = try PPDSError.wrapping { try worktrees ?? repository.worktrees() }
        var byBranch: [String: String] = [:]
        for worktree in list {
            if let branch = worktree.head.branchName { byBranch[branch] = worktree.path.isEmpty ? worktree.name : worktree.path }
        }
        worktreeIndex = WorktreeIndex(list)
        pathByBranch = byBranch
    }

    /// The base's tip now, resolved once per base name.
    public func baseTip(_ base: String) -> ObjectID? {
        if let cached = baseTips[base] { return cached }
        let tip = try? repository.resolveCommit(base)
        baseTips[base] = tip
        return tip
    }

    public func state(of session: Session, includeDirty: Bool = false) -> SessionGitState {
        var state = SessionGitState()
        let worktree = worktreeIndex.worktree(at: session.worktree)
        state.worktreeExists = worktree?.state == .ok
        let branch = try? repository.branch(session.branch)
        state.branchExists = branch != nil
        if let branch, let baseCommit = session.baseCommit { state.hasOwnCommits = branch.target.hex != baseCommit }
        if let holder = pathByBranch[session.branch], holder != session.worktree, holder != worktree?.path {
            state.branchHeldBy = holder
        }
        if let worktree, state.worktreeExists {
            switch worktree.head {
            case .branch(let name):
                if name != session.branch { state.checkedOutBranch = name }
                state.head = (name == session.branch ? branch?.target : try? repository.branch(name)?.target)?.hex
            case .detached(let id):
                state.checkedOutBranch = "(detached)"
                state.head = id.hex
            case .unknown:
                break
            }
        } else {
            state.head = branch?.target.hex
        }
        if let branch, let base = session.base, let baseTip = baseTip(base) {
            if let counts = try? repository.aheadBehind(branch.target, baseTip) {
                state.ahead = counts.ahead
                state.behind = counts.behind
            }
            state.merged = try? detector.check(tip: branch.target, base: baseTip)
        }
        if includeDirty, state.worktreeExists {
            state.dirty = try? repository.workingTreeStatus(at: session.worktree)
        }
        return state
    }
}
