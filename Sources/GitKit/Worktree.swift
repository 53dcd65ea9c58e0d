import CGit2
import Foundation
import Support

/// What a worktree has checked out.
public enum WorktreeHead: Sendable, Equatable {
    case branch(String)
    case detached(ObjectID)
    /// HEAD is missing or unreadable (a half-made entry).
    case unknown

    public var branchName: String? {
        if case .branch(let name) = self { return name }
        return nil
    }
}

/// The state of a linked worktree's admin entry under `.git/worktrees/<name>`.
public enum WorktreeEntryState: String, Sendable {
    case ok
    /// The admin entry points at a folder that is gone (git calls it prunable).
    case folderMissing
    /// The admin entry lacks `gitdir`, `commondir` or `HEAD`: an interrupted add.
    case halfMade
    /// The entry's folder path is not UTF-8: it cannot be checked here, so it is left alone.
    case undecodablePath
}

/// A worktree as git sees it: the main one or a linked one.
public struct WorktreeInfo: Sendable, Equatable {
    /// The admin name (`.git/worktrees/<name>`); empty for the main worktree.
    public let name: String
    /// The working folder (absolute, no trailing slash). Empty when unknown (half-made).
    public let path: String
    public let isMain: Bool
    public let head: WorktreeHead
    public let lockReason: String?
    public let state: WorktreeEntryState

    public var isLocked: Bool { lockReason != nil }

    /// The worktree in `list` (from `worktrees()`) holding `branch`, as `worktreeHolding` judges
    /// it; for callers that already read the list once per run.
    public static func holder(of branch: String, in list: [WorktreeInfo]) -> String? {
        for worktree in list where worktree.head == .branch(branch) {
            return worktree.isMain ? worktree.path : (worktree.path.isEmpty ? worktree.name : worktree.path)
        }
        return nil
    }
}

extension Repository {
    /// Every worktree: the main one first, then each admin entry by name. Reads the admin
    /// folder itself, because `git_worktree_list` in 1.5.1 skips the entry after an invalid one.
    public func worktrees() throws(GitError) -> [WorktreeInfo] {
        var result: [WorktreeInfo] = []
        let main = try mainRepository()
        if let workdir = main.workdir {
            result.append(WorktreeInfo(name: "", path: workdir, isMain: true,
                                       head: Repository.readHead(at: main.commonDir + "/HEAD"),
                                       lockReason: nil, state: .ok))
        }
        for name in adminEntryNames() {
            result.append(worktreeEntry(name))
        }
        return result
    }

    /// The names under `.git/worktrees`, sorted.
    func adminEntryNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: worktreesAdminDir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// One linked worktree by admin name, or nil when there is no such entry.
    public func worktree(named name: String) -> WorktreeInfo? {
        guard adminEntryNames().contains(name) else { return nil }
        return worktreeEntry(name)
    }

    /// The linked worktree whose folder is `path`, if any.
    public func worktree(atPath path: String) throws(GitError) -> WorktreeInfo? {
        let wanted = canonicalPath(path)
        return try worktrees().first { !$0.path.isEmpty && canonicalPath($0.path) == wanted }
    }

    func worktreeEntry(_ name: String) -> WorktreeInfo {
        let admin = worktreesAdminDir + "/" + name
        if let raw = FileManager.default.contents(atPath: admin + "/gitdir"), String(data: raw, encoding: .utf8) == nil {
            return WorktreeInfo(name: name, path: "", isMain: false, head: Repository.readHead(at: admin + "/HEAD"),
                                lockReason: Repository.readFile(admin + "/locked").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) },
                                state: .undecodablePath)
        }
        let gitdirFile = Repository.readFile(admin + "/gitdir")?.trimmingCharacters(in: .whitespacesAndNewlines)
        let hasCommondir = FileManager.default.fileExists(atPath: admin + "/commondir")
        let head = Repository.readHead(at: admin + "/HEAD")
        let lockReason = Repository.readFile(admin + "/locked").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let gitdirFile, !gitdirFile.isEmpty, hasCommondir, head != .unknown else {
            return WorktreeInfo(name: name, path: "", isMain: false, head: head, lockReason: lockReason, state: .halfMade)
        }
        // gitdir names `<worktree>/.git`; git writes it relative to the admin folder at times.
        let dotGit = gitdirFile.hasPrefix("/") ? gitdirFile : admin + "/" + gitdirFile
        let path = Paths.trimmingSlash(URL(fileURLWithPath: dotGit).standardizedFileURL.deletingLastPathComponent().path)
        let exists = FileManager.default.fileExists(atPath: path + "/.git")
        return WorktreeInfo(name: name, path: path, isMain: false, head: head,
                            lockReason: lockReason, state: exists ? .ok : .folderMissing)
    }

    /// The worktree holding `branch`, judged the way git judges it: the main worktree and
    /// every admin entry count, including one whose folder was deleted but not pruned.
    public func worktreeHolding(branch: String) throws(GitError) -> String? {
        WorktreeInfo.holder(of: branch, in: try worktrees())
    }

    /// Whether libgit2 considers the linked worktree `name` valid (its files are consistent).
    public func validateWorktree(_ name: String) -> Bool {
        guard let handle = try? lookupWorktree(name) else { return false }
        return handle.withPointer { git_worktree_validate($0) } == 0
    }

    func lookupWorktree(_ name: String) throws(GitError) -> Handle {
        // 1.5.1 returns -1 (not GIT_ENOTFOUND) for a missing name: check the folder first.
        guard adminEntryNames().contains(name) else {
            throw GitError(.notFound, "look up worktree", name, message: "no such worktree")
        }
        return try Handle.make("look up worktree", name, release: { git_worktree_free($0) }) {
            out in withPointer { git_worktree_lookup(&out, $0, name) }
        }
    }

    /// Locks a linked worktree so that prune and remove leave it alone.
    public func lockWorktree(_ name: String, reason: String) throws(GitError) {
        let worktree = try lookupWorktree(name)
        try gitCall("lock worktree", name) { worktree.withPointer { git_worktree_lock($0, reason) } }
    }

    public func unlockWorktree(_ name: String) throws(GitError) {
        let worktree = try lookupWorktree(name)
        try gitCall("unlock worktree", name) { worktree.withPointer { git_worktree_unlock($0) } }
    }

    /// The lock reason ("" when locked without one), or nil when not locked.
    public func worktreeLockReason(_ name: String) throws(GitError) -> String? {
        let worktree = try lookupWorktree(name)
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let code = try gitCall("read worktree lock", name) { worktree.withPointer { git_worktree_is_locked(&buffer, $0) } }
        guard code > 0 else { return nil }
        guard let bytes = buffer.ptr else { return "" }
        return String(cString: bytes).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func readFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func readHead(at path: String) -> WorktreeHead {
        guard let text = readFile(path)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return .unknown }
        if text.hasPrefix("ref: ") {
            let ref = String(text.dropFirst(5))
            return ref.hasPrefix("refs/heads/") ? .branch(String(ref.dropFirst(11))) : .unknown
        }
        if let id = ObjectID(hex: text) { return .detached(id) }
        return .unknown
    }
}
