import CGit2
import Foundation
import Support

extension Repository {
    /// Removes a linked worktree: its folder and its admin entry.
    ///
    /// - A locked worktree is refused, unless its lock reason is `ownLockReason`, the lock the
    ///   caller itself took.
    /// - A worktree with changes or untracked files is refused unless `force`.
    public func removeWorktree(_ name: String, force: Bool = false, ownLockReason: String? = nil) throws(GitError) {
        let operation = "remove worktree"
        guard let info = worktree(named: name) else {
            throw GitError(.notFound, operation, name, message: "no such worktree")
        }
        if let reason = info.lockReason {
            guard let ownLockReason, reason == ownLockReason else {
                throw GitError(.locked, operation, info.path.isEmpty ? name : info.path,
                               message: "the worktree is locked" + (reason.isEmpty ? "" : " (\(reason))") + "; unlock it with 'git worktree unlock' first")
            }
        }
        guard info.state != .undecodablePath else {
            throw GitError(.precondition, operation, name, message: "its folder's path is not UTF-8, so ppds cannot check it; remove it with git")
        }
        if info.state == .ok, !force {
            let dirt = try workingTreeStatus(at: info.path)
            if dirt.isDirty {
                throw GitError(.dirty, operation, info.path, message: "the worktree has \(dirt.summary); commit or stash them, or force")
            }
        }
        if info.state == .ok {
            guard linksToAdminEntry(folder: info.path, name: name) else {
                throw GitError(.precondition, operation, info.path,
                               message: "its .git file does not point at this repository's entry \(worktreesAdminDir)/\(name); it is not this worktree, so it was not removed")
            }
            let mounts = MountTable.mountPoints(atOrBelow: info.path)
            guard mounts.isEmpty else {
                throw GitError(.precondition, operation, info.path,
                               message: "a file system is mounted at \(mounts[0]); unmount it first (ppds never removes across file systems)")
            }
            try removeFolder(info.path, keepingLast: ".git")
        }
        // git's own order: the working folder first, then the entry. A removal killed half-way
        // leaves an entry whose folder holds part of the checked-out files, and its `.git`
        // file (removed last), which recovery recognises.
        try removeAdminEntry(name)
    }

    /// Whether the folder's `.git` file points at this repository's admin entry `name`.
    /// A folder that another repository (or another entry) owns must never be removed as ours.
    public func linksToAdminEntry(folder: String, name: String) -> Bool {
        guard let target = Repository.gitdirLink(of: folder) else { return false }
        let expected = worktreesAdminDir + "/" + name
        if let actual = FileIdentity(path: target), let wanted = FileIdentity(path: expected) { return actual == wanted }
        return canonicalPath(target) == canonicalPath(expected)
    }

    /// The folder a worktree's `.git` file points at (`gitdir: …`, relative to the folder when
    /// not absolute); nil when `.git` is missing, not a regular file, or not a gitdir link.
    /// Whether `folder/.git` is a cut-short write of the link to `admin` (a process killed
    /// while writing it): a regular file whose bytes begin the line git would write.
    public static func isHalfWrittenLink(_ folder: String, to admin: String) -> Bool {
        var info = stat()
        guard lstat(folder + "/.git", &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 4096,
              let data = FileManager.default.contents(atPath: folder + "/.git") else { return false }
        // libgit2 writes the folder with a trailing slash; git without.
        return [admin, admin + "/"].contains { form in
            let whole = Data(("gitdir: " + form + "\n").utf8)
            return data.count < whole.count && whole.prefix(data.count) == data
        }
    }

    public static func gitdirLink(of folder: String) -> String? {
        var info = stat()
        guard lstat(folder + "/.git", &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 65536,
              let text = readFile(folder + "/.git") else { return nil }
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        guard line.hasPrefix("gitdir: ") else { return nil }
        let target = String(line.dropFirst(8)).trimmingCharacters(in: .whitespaces)
        guard !target.isEmpty else { return nil }
        return target.hasPrefix("/") ? target : folder + "/" + target
    }

    /// Removes admin entries whose folder is gone, and half-made entries, the way
    /// `git worktree prune` would plus the leftovers it misses. Locked entries stay, and so do
    /// entries whose detached HEAD or own refs hold commits found nowhere else.
    /// Half-made entries younger than `settle` seconds may be an add in progress and stay, as do
    /// the names in `sparing` (adds the caller knows are running).
    @discardableResult
    public func pruneStaleWorktrees(dryRun: Bool = false, settle: TimeInterval = 10, sparing: Set<String> = [],
                                    only: Set<String>? = nil) throws(GitError) -> [WorktreeInfo] {
        var pruned: [WorktreeInfo] = []
        var shared: [ObjectID]?
        for name in adminEntryNames() where !sparing.contains(name) && only.map({ $0.contains(name) }) ?? true {
            let info = worktreeEntry(name)
            guard info.state == .folderMissing || info.state == .halfMade, !info.isLocked else { continue }
            if info.state == .halfMade, let age = adminEntryAge(name), age < settle { continue }
            // The folder may be on a disk that is not mounted: keep an entry whose detached HEAD
            // or own refs hold commits no shared ref reaches (they would go with it).
            let tips = shared ?? sharedRefTips()
            shared = tips
            var held = privateRefTips(ofWorktree: name).map(\.commit)
            if case .detached(let id) = info.head { held.append(id) }
            // And the commits only its HEAD reflog names (a reset away from them).
            held += Repository.reflogCommits(worktreesAdminDir + "/" + name + "/logs/HEAD").filter { hasObject($0) }
            var unique = false
            for commit in held where try !isReachable(commit, fromAny: tips) { unique = true }
            if unique { continue }
            // Its index may hold staged work its HEAD lacks: those blobs are reachable from
            // nothing else, and the folder may come back with its disk.
            if adminIndexHoldsStagedWork(name, head: info.head) { continue }
            if !dryRun { try removeAdminEntry(name) }
            pruned.append(info)
        }
        return pruned
    }

    /// Whether the admin entry's index differs from its HEAD commit's tree (staged work): the
    /// index is written as a tree and compared by id. Unreadable, conflicted or headless: true.
    public func adminIndexHoldsStagedWork(_ name: String, head: WorktreeHead) -> Bool {
        let path = worktreesAdminDir + "/" + name + "/index"
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let commit: ObjectID?
        switch head {
        case .branch(let branch): commit = (try? self.branch(branch))??.target
        case .detached(let id): commit = id
        case .unknown: commit = nil
        }
        guard let commit, let headTree = try? treeID(ofCommit: commit) else { return true }
        var index: OpaquePointer?
        guard git_index_open(&index, path) == 0, let index else { git_error_clear(); return true }
        defer { git_index_free(index) }
        var tree = git_oid()
        let code = withPointer { git_index_write_tree_to(&tree, index, $0) }
        guard code == 0 else { git_error_clear(); return true }
        return ObjectID(tree) != headTree
    }

    /// A commit (no parents) of the worktree's index as a tree: kept by a ref, it keeps the
    /// staged blobs of a trashed worktree from `git gc`, which does not read a trashed index.
    /// Nil when there is no readable index or it cannot be written as a tree (a conflict).
    public func indexSnapshotCommit(ofWorktree name: String, time: Date) -> ObjectID? {
        let path = worktreesAdminDir + "/" + name + "/index"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var index: OpaquePointer?
        guard git_index_open(&index, path) == 0, let index else { git_error_clear(); return nil }
        defer { git_index_free(index) }
        var treeID = git_oid()
        guard withPointer({ git_index_write_tree_to(&treeID, index, $0) }) == 0 else { git_error_clear(); return nil }
        var tree: OpaquePointer?
        guard withPointer({ git_tree_lookup(&tree, $0, &treeID) }) == 0, let tree else { git_error_clear(); return nil }
        defer { git_tree_free(tree) }
        var signature: UnsafeMutablePointer<git_signature>?
        guard git_signature_new(&signature, "ppds", "ppds@localhost", git_time_t(time.timeIntervalSince1970.rounded(.down)), 0) == 0 else {
            git_error_clear()
            return nil
        }
        defer { git_signature_free(signature) }
        var commit = git_oid()
        let code = withPointer { git_commit_create(&commit, $0, nil, signature, signature, nil, "ppds: the index of a trashed worktree\n", tree, 0, nil) }
        guard code == 0 else { git_error_clear(); return nil }
        return ObjectID(commit)
    }

    /// Every commit a reflog file names (old and new values).
    public static func reflogCommits(_ file: String) -> [ObjectID] {
        guard let data = FileManager.default.contents(atPath: file), data.count < 64 << 20 else { return [] }
        var found: [ObjectID] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            for field in line.split(separator: " ", maxSplits: 2).prefix(2) where field.count == 40 && !field.allSatisfy({ $0 == "0" }) {
                if let id = ObjectID(hex: String(field)) { found.append(id) }
            }
        }
        return found
    }

    private func adminEntryAge(_ name: String) -> TimeInterval? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: worktreesAdminDir + "/" + name)
        guard let date = attributes?[.modificationDate] as? Date else { return nil }
        return Date().timeIntervalSince(date)
    }

    func removeAdminEntry(_ name: String) throws(GitError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw GitError(.invalidName, "prune worktree entry", name, message: "not an admin entry name")
        }
        // Renamed out of `worktrees` first (one atomic step), then deleted: a process killed
        // while deleting leaves a folder git never reads, not a half-deleted entry that looks
        // like an add in progress.
        let trash = commonDir + "/ppds-removed"
        // Leftovers of a killed removal; a young one may be another process's removal in progress.
        for leftover in (try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? [] {
            let modified = (try? FileManager.default.attributesOfItem(atPath: trash + "/" + leftover))?[.modificationDate] as? Date
            if let modified, Date().timeIntervalSince(modified) > 600 { try? removeFolder(trash + "/" + leftover) }
        }
        try? FileManager.default.createDirectory(atPath: trash, withIntermediateDirectories: true)
        let moved = trash + "/" + name + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var renamed = false
        try withAdminFolderLock { () throws(GitError) in
            renamed = rename(worktreesAdminDir + "/" + name, moved) == 0
            if !renamed { try removeFolder(worktreesAdminDir + "/" + name) }
        }
        if renamed { try removeFolder(moved) }
    }
}

extension Repository {
    /// Removes a folder that a killed removal of worktree `adminName` left after its entry
    /// went: only when its `.git` file still names that entry of this repository. The caller
    /// has checked that it holds nothing but the checked-out files.
    public func removeLeftoverWorktreeFolder(_ folder: String, adminName: String) throws(GitError) {
        let expected = worktreesAdminDir + "/" + adminName
        if Repository.isHalfWrittenLink(folder, to: expected) {
            // The link to this entry, cut short: this is the folder that add was making.
        } else if let link = Repository.gitdirLink(of: folder) {
            guard canonicalPath(link) == canonicalPath(expected) else {
                throw GitError(.precondition, "remove leftover folder", folder, message: "its .git file points at \(link), not at \(expected); kept")
            }
        } else if FileManager.default.fileExists(atPath: folder + "/.git") {
            throw GitError(.precondition, "remove leftover folder", folder, message: "its .git is not a worktree link; kept")
        }
        guard MountTable.mountPoints(atOrBelow: folder).isEmpty else {
            throw GitError(.precondition, "remove leftover folder", folder, message: "a file system is mounted inside; kept")
        }
        try removeFolder(folder, keepingLast: ".git")
    }
}

extension Repository {
    /// `FolderRemoval` (one file system, no symlinks followed), its failure as a git-layer error.
    func removeFolder(_ path: String, keepingLast last: String? = nil) throws(GitError) {
        do {
            try FolderRemoval.remove(path, keepingLast: last)
        } catch {
            throw GitError(.precondition, "remove folder", error.path, message: error.message)
        }
    }
}
