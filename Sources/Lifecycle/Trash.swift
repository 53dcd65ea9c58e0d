import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// One worktree moved to the trash: where each of its parts went, and what in it exists
/// nowhere else. The manifest is also the record of a move, restore or empty in progress
/// (`state`): a process killed half-way leaves a state that `Trash.recover` completes.
public struct TrashManifest: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Being moved in: recovery puts every part back (the removal is judged again).
        case moving
        case trashed
        /// Being restored: recovery finishes the restore.
        case restoring
        /// Being deleted: recovery finishes the deletion.
        case emptying
    }

    public var version = 1
    public var id: String
    public var state: State
    public var repo: String
    public var issue: Int?
    public var branch: String?
    /// The branch's tip when it was trashed; restore recreates the branch there.
    public var branchTip: String?
    /// Whether the removal deleted the branch (restore then recreates it).
    public var branchDeleted = false
    /// The original worktree folder.
    public var worktree: String
    /// The admin entry's name under `.git/worktrees`; nil when git had no entry.
    public var adminName: String?
    /// Where the folder went (nil when it was already gone).
    public var folderTrash: String?
    /// The session file's original path (nil for a worktree without a session).
    public var sessionFile: String?
    public var trashedAt: String
    public var expiresAt: String
    public var bytes: Int64 = 0
    public var unique: [String] = []
    /// The ref that keeps every commit the removal would leave on no ref.
    public var keeperRef: String?
    public var pid: Int32 = 0

    public var issueNumber: IssueNumber? { issue.flatMap { IssueNumber($0) } }

    public var json: JSONValue {
        .object([
            "id": .string(id),
            "issue": issueNumber.map { .string($0.tag) } ?? .null,
            "branch": branch.map(JSONValue.string) ?? .null,
            "worktree": .string(worktree),
            "trashedAt": .string(trashedAt),
            "expiresAt": .string(expiresAt),
            "bytes": .int(bytes),
            "unique": .array(unique.map(JSONValue.string)),
            "state": .string(state.rawValue),
        ])
    }
}

/// The trash: removal by rename on one file system, restorable until it expires.
///
/// Layout: `<git dir>/ppds-trash/<id>/` holds `manifest.json`, the admin entry (`admin/`) and
/// the session file (`session.json`); the folder goes to `<id>/worktree` there when the
/// worktree is on the git folder's device, else beside the worktrees, in
/// `<worktree's parent>/.ppds-trash/<id>/worktree`. Nothing is ever copied across file systems:
/// where no rename reaches, the worktree stays. Commits the removal would leave on no ref (the
/// branch's tip, a detached HEAD, the HEAD and branch reflogs' commits, the worktree's own
/// refs) stay reachable from `refs/ppds/trash/<id>`, a commit whose parents are all of them.
public struct Trash {
    public let workspace: Workspace
    public let repository: Repository
    public static let defaultRetention: TimeInterval = 14 * 86400
    /// Ignored paths that are rebuilt from the project, never listed as unique.
    public static let defaultRegenerable = [".build/", "node_modules/", "target/", "build/", "dist/", ".gradle/", "__pycache__/",
                                            ".venv/", "venv/", ".tox/", ".next/", ".cache/", "DerivedData/", "vendor/bundle/"]

    public init(workspace: Workspace, repository: Repository) {
        self.workspace = workspace
        self.repository = repository
    }

    public var root: String { repository.commonDir.hasSuffix("/") ? repository.commonDir + "ppds-trash" : repository.commonDir + "/ppds-trash" }
    var worktreesDir: String { repository.worktreesAdminDir }

    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 80 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
    }

    static func device(_ path: String) -> dev_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_dev : nil
    }

    /// What a move needs to know, gathered by the caller (prune).
    public struct Move {
        public var issue: IssueNumber?
        public var branch: String?
        public var branchTip: ObjectID?
        public var deleteBranch: Bool
        public var worktree: String
        public var adminName: String?
        public var detachedHead: ObjectID?
        public var sessionFile: String?
        public var status: WorkingTreeStatus?
        public var gitlinks: [String] = []
        /// Whether the folder goes too (false: only the entry, session and branch).
        public var moveFolder = true
        public var retention: TimeInterval
        public var regenerable: [String]
    }

    // MARK: move

    /// Moves the worktree folder, its admin entry and session file into the trash, keeps its
    /// commits reachable, then deletes the branch (compare-and-swap). A failure puts back
    /// whatever was moved. Returns the manifest.
    public func move(_ move: Move, now: Date = Date()) throws(PPDSError) -> TrashManifest {
        let stamp = Self.idStamp(now)
        let id = "\(move.issue.map { String($0.value) } ?? "wt")-\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let entry = root + "/" + id
        // Where the folder can go by rename.
        var folderTrash: String?
        let folderExists = move.moveFolder && Self.device(move.worktree) != nil
        if folderExists {
            guard let worktreeDevice = Self.device(move.worktree) else { throw PPDSError.failed("cannot read \(move.worktree)") }
            let parent = (move.worktree as NSString).deletingLastPathComponent
            if Self.device(repository.commonDir) == worktreeDevice {
                folderTrash = entry + "/worktree"
            } else if Self.device(parent) == worktreeDevice {
                folderTrash = parent + "/.ppds-trash/" + id + "/worktree"
            } else {
                throw PPDSError.refused("\(move.worktree) is on a file system where ppds has no place for its trash (neither the git folder nor its parent folder is on the same device); it was kept, since ppds never copies across file systems")
            }
        }
        if let admin = move.adminName, Self.device(worktreesDir + "/" + admin) != nil,
           Self.device(worktreesDir) != Self.device(repository.commonDir) {
            throw PPDSError.refused("\(worktreesDir) is on another file system than \(repository.commonDir); the worktree was kept")
        }

        var manifest = TrashManifest(id: id, state: .moving, repo: workspace.repoRoot, issue: move.issue?.value, branch: move.branch,
                                     branchTip: move.branchTip?.hex, worktree: move.worktree, adminName: move.adminName,
                                     folderTrash: folderTrash, sessionFile: move.sessionFile,
                                     trashedAt: Timestamp.format(now), expiresAt: Timestamp.format(now.addingTimeInterval(move.retention)))
        manifest.pid = getpid()
        // The commits first: a ref before anything moves.
        var keep: [ObjectID] = []
        if let tip = move.branchTip { keep.append(tip) }
        if let head = move.detachedHead { keep.append(head) }
        var reflogs: [String] = []
        if let admin = move.adminName { reflogs.append(worktreesDir + "/" + admin + "/logs/HEAD") }
        if let branch = move.branch { reflogs.append(repository.commonDir + "/logs/refs/heads/" + branch) }
        let reflogCommits = reflogs.flatMap(Repository.reflogCommits)
        keep += reflogCommits
        if let admin = move.adminName { keep += repository.privateRefTips(ofWorktree: admin).map(\.commit) }
        // Staged changes live only in the index's blobs: kept through a commit of its tree.
        if let admin = move.adminName, let index = repository.indexSnapshotCommit(ofWorktree: admin, time: now) { keep.append(index) }
        var seen = Set<String>()
        keep = keep.filter { seen.insert($0.hex).inserted && repository.hasObject($0) && (try? repository.parents(of: $0)) != nil }
        manifest.unique = uniqueContents(move, reflogCommits: reflogCommits)
        // (The size is measured when the trash is listed: a removal costs renames, not a walk.)

        do {
            try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PPDSError.io("cannot make the trash \(entry): \(error.localizedDescription); the worktree was kept")
        }
        if !keep.isEmpty {
            do {
                let keeper = try repository.writeCommit(files: ["README": Data("ppds trash \(id): commits kept for restore\n".utf8)], parents: keep,
                                                        message: "ppds trash \(id)\n", author: ("ppds", "ppds@localhost"), time: now)
                try repository.updateReference("refs/ppds/trash/" + id, to: keeper, expecting: nil, message: "ppds: trash \(id)")
                manifest.keeperRef = "refs/ppds/trash/" + id
            } catch {
                try? FileManager.default.removeItem(atPath: entry)
                throw PPDSError.failed("could not keep the worktree's commits (\(error.message)); the worktree was kept")
            }
        }
        var deletedBranch = false
        do {
            try write(manifest)
            try FaultInjection.checkpoint("trashAfterManifest")
            // The admin entry first: a folder whose entry is gone is never pruned by git, while
            // an entry whose folder is gone would be (`git worktree prune`).
            if let admin = move.adminName, Self.device(worktreesDir + "/" + admin) != nil {
                try Self.rename(worktreesDir + "/" + admin, entry + "/admin")
            }
            try FaultInjection.checkpoint("trashAfterAdmin")
            if let folderTrash {
                try? FileManager.default.createDirectory(atPath: (folderTrash as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o700])
                try Self.rename(move.worktree, folderTrash)
            }
            try FaultInjection.checkpoint("trashAfterFolder")
            try FaultInjection.checkpoint("pruneAfterWorktree")
            if let file = move.sessionFile, Self.device(file) != nil {
                try Self.moveSmallFile(file, entry + "/session.json")
            }
            if move.deleteBranch, let branch = move.branch, let tip = move.branchTip {
                // The branch's reflog goes with it (its "Created from" record is what lets a
                // later prune show ppds made the branch): kept in the entry, put back with it.
                if let log = FileManager.default.contents(atPath: repository.commonDir + "/logs/refs/heads/" + branch) {
                    try? AtomicFile.write(log, to: entry + "/branch.reflog")
                }
                // Recorded before the deletion: a process killed after it still knows to
                // recreate the branch when the move is put back.
                manifest.branchDeleted = true
                try write(manifest)
                try PPDSError.wrapping { try repository.deleteBranch(branch, expecting: tip) }
                deletedBranch = true
            }
            try FaultInjection.checkpoint("trashAfterBranch")
            try FaultInjection.checkpoint("pruneAfterBranch")
            manifest.state = .trashed
            try write(manifest)
        } catch {
            // Put back what moved: the worktree stays as it was.
            var failed = manifest
            failed.state = .moving
            failed.branchDeleted = deletedBranch
            _ = try? putBack(failed, finishing: false)
            throw PPDSError.from(error)
        }
        return manifest
    }

    static func idStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    static func rename(_ from: String, _ to: String) throws(PPDSError) {
        guard Glibc.rename(from, to) == 0 else {
            let code = errno
            throw PPDSError.io("cannot move \(from) to \(to): \(String(cString: strerror(code)))"
                               + (code == EXDEV ? " (another file system; ppds never copies across)" : ""))
        }
    }

    /// A session file may live on another device than the repository (`PPDS_HOME`): renamed
    /// when it can be, else written whole (atomically, synced) at the destination and only then
    /// unlinked at the source. It is small and the only copy crosses nothing but a file.
    static func moveSmallFile(_ from: String, _ to: String) throws(PPDSError) {
        if Glibc.rename(from, to) == 0 { return }
        guard errno == EXDEV else { try rename(from, to); return }
        guard let data = FileManager.default.contents(atPath: from) else { throw PPDSError.io("cannot read \(from)") }
        do {
            try AtomicFile.write(data, to: to)
        } catch {
            throw PPDSError.from(error)
        }
        guard unlink(from) == 0 else { throw PPDSError.io("cannot remove \(from) after copying it to \(to)") }
    }

    /// What in the worktree exists nowhere else: untracked and ignored files that are neither
    /// regenerable nor unchanged copies of the main worktree's, am/rebase/merge state, nested
    /// repositories, files in a submodule's folder that is not initialised, and commits only
    /// the reflogs held.
    func uniqueContents(_ move: Move, reflogCommits: [ObjectID]) -> [String] {
        var unique: [String] = []
        if let status = move.status {
            // (Untracked files are there only with --force.)
            unique += status.hiddenEdits.map { "edited (hidden): \($0)" }
            if status.changed > 0 { unique.append("changed files: \(status.changed) (--force)") }
            for path in status.ignored where !Self.isRegenerable(path, move.regenerable) && !isCopy(path, in: move.worktree) {
                unique.append("ignored: \(path)")
            }
        }
        if let untracked = move.status.map({ $0.untracked }), untracked > 0 {
            unique.append("untracked files: \(untracked) (--force)")
        }
        if let admin = move.adminName {
            for state in ["rebase-apply", "rebase-merge", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG", "sequencer"]
            where FileManager.default.fileExists(atPath: worktreesDir + "/" + admin + "/" + state) {
                unique.append("in-progress state: \(state)")
            }
            if FileManager.default.fileExists(atPath: worktreesDir + "/" + admin + "/modules") {
                unique.append("submodule repositories: .git/worktrees/\(admin)/modules")
            }
        }
        if move.moveFolder && Self.device(move.worktree) != nil {
            for nested in Self.nestedGitEntries(move.worktree, skipping: move.regenerable) { unique.append("nested repository: \(nested)") }
        }
        for link in move.gitlinks {
            let folder = move.worktree + "/" + link
            if !FileManager.default.fileExists(atPath: folder + "/.git"),
               let items = try? FileManager.default.contentsOfDirectory(atPath: folder), !items.isEmpty {
                unique.append("files in submodule folder that is not initialised: \(link)")
            }
        }
        let tips = repository.sharedRefTips()
        let onlyHere = Set(reflogCommits.map(\.hex)).filter { hex in
            guard let id = ObjectID(hex: hex), repository.hasObject(id) else { return false }
            return !((try? repository.isReachable(id, fromAny: tips)) ?? true)
        }
        if !onlyHere.isEmpty { unique.append("commits only in the reflogs: \(onlyHere.count)") }
        if let head = move.detachedHead, !((try? repository.isReachable(head, fromAny: tips)) ?? true) {
            unique.append("detached HEAD \(head.short) on no other ref")
        }
        return unique
    }

    static func isRegenerable(_ path: String, _ patterns: [String]) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        for pattern in patterns {
            let trimmed = pattern.hasSuffix("/") ? String(pattern.dropLast()) : pattern
            if trimmed.contains("/") {
                if path == trimmed || path.hasPrefix(trimmed + "/") { return true }
            } else if components.dropLast(path.hasSuffix("/") ? 0 : 1).contains(trimmed) || (path.hasSuffix("/") && components.last == trimmed) {
                return true
            }
        }
        return false
    }

    /// An ignored file identical to the main worktree's (what start-work's `copy` brought in).
    func isCopy(_ relative: String, in folder: String) -> Bool {
        guard !relative.hasSuffix("/"), let ours = FileManager.default.contents(atPath: workspace.repoRoot + "/" + relative) else { return false }
        return FileManager.default.contents(atPath: folder + "/" + relative) == ours
    }

    /// `.git` entries below the top of `folder` (nested clones, `git init` in a tracked folder,
    /// worktrees of other repositories), relative paths of their folders.
    static func nestedGitEntries(_ folder: String, skipping regenerable: [String] = []) -> [String] {
        var found: [String] = []
        func walk(_ path: String, _ relative: String, depth: Int) {
            // Paths the project declares regenerable are rebuilt, never unique: not searched.
            if !relative.isEmpty, isRegenerable(relative + "/", regenerable) { return }
            guard depth < 64, let dir = opendir(path) else { return }
            defer { closedir(dir) }
            while let item = readdir(dir) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                if name == ".git" {
                    if depth > 0 { found.append(relative) }
                    continue
                }
                var isDirectory = item.pointee.d_type == UInt8(DT_DIR)
                if item.pointee.d_type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    isDirectory = lstat(path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
                }
                if isDirectory {
                    walk(path + "/" + name, relative.isEmpty ? name : relative + "/" + name, depth: depth + 1)
                }
            }
        }
        walk(folder, "", depth: 0)
        return found
    }

    /// Bytes on disk under `path` (one file system, no symlinks followed).
    static func size(of path: String) -> Int64 {
        var total: Int64 = 0
        guard let top = device(path) else { return 0 }
        func walk(_ path: String) {
            guard let dir = opendir(path) else { return }
            defer { closedir(dir) }
            let fd = dirfd(dir)
            while let item = readdir(dir) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_dev == top else { continue }
                total += Int64(info.st_blocks) * 512
                if info.st_mode & S_IFMT == S_IFDIR { walk(path + "/" + name) }
            }
        }
        walk(path)
        return total
    }

    // MARK: manifests

    func manifestPath(_ id: String) -> String { root + "/" + id + "/manifest.json" }

    func write(_ manifest: TrashManifest) throws(PPDSError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(manifest), to: manifestPath(manifest.id))
        } catch {
            throw PPDSError.from(error)
        }
    }

    /// Every entry of this repository's trash, oldest first, and the names of folders whose
    /// manifest is missing, unreadable or forged.
    /// The entries with their sizes on disk (walked now, one file system, no symlinks followed).
    public func entriesWithSizes() -> (entries: [TrashManifest], unreadable: [String]) {
        var listing = entries()
        for index in listing.entries.indices {
            let entry = listing.entries[index]
            let inside = root + "/" + entry.id
            let outside = entry.folderTrash.flatMap { !$0.hasPrefix(inside + "/") && Self.device($0) != nil ? $0 : nil }
            listing.entries[index].bytes = (outside.map(Self.size) ?? 0) + Self.size(of: inside)
        }
        return listing
    }

    public func entries() -> (entries: [TrashManifest], unreadable: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var found: [TrashManifest] = [], bad: [String] = []
        for name in names {
            if let manifest = load(name) { found.append(manifest) } else { bad.append(root + "/" + name) }
        }
        return (found.sorted { $0.trashedAt < $1.trashedAt }, bad)
    }

    /// A manifest, only when it describes a place this trash could have made: its id is its
    /// folder's name, its parts' places are the ones `move` uses, and its paths are absolute.
    func load(_ id: String) -> TrashManifest? {
        guard Self.isValidID(id), let attributes = try? FileManager.default.attributesOfItem(atPath: manifestPath(id)),
              attributes[.type] as? FileAttributeType == .typeRegular, (attributes[.size] as? Int ?? .max) < 1 << 20,
              let data = FileManager.default.contents(atPath: manifestPath(id)),
              let manifest = try? JSONDecoder().decode(TrashManifest.self, from: data) else { return nil }
        guard manifest.id == id, manifest.version == 1, manifest.worktree.hasPrefix("/"), canonicalPath(manifest.worktree) == manifest.worktree
                || !FileManager.default.fileExists(atPath: manifest.worktree) else { return nil }
        // This repository's entry only (a copied repository shares the manifests, not the trash).
        guard samePlace(manifest.repo, workspace.repoRoot) else { return nil }
        if let folder = manifest.folderTrash {
            let parent = (manifest.worktree as NSString).deletingLastPathComponent
            guard folder == root + "/" + id + "/worktree" || folder == parent + "/.ppds-trash/" + id + "/worktree" else { return nil }
            // Beside the worktrees, every folder of the trash's own is a real folder of this
            // user: a symlinked '.ppds-trash' would aim restore and empty at other folders.
            if folder != root + "/" + id + "/worktree" {
                for part in [parent + "/.ppds-trash", parent + "/.ppds-trash/" + id] {
                    var info = stat()
                    if lstat(part, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR || info.st_uid != geteuid() { return nil }
                }
            }
        }
        if let admin = manifest.adminName, admin.isEmpty || admin.contains("/") || admin == "." || admin == ".." { return nil }
        if let issue = manifest.issueNumber {
            guard manifest.sessionFile == nil || manifest.sessionFile == workspace.store.path(for: issue) else { return nil }
        } else if manifest.sessionFile != nil { return nil }
        if let branch = manifest.branch, !Repository.isValidBranchName(branch) { return nil }
        if let ref = manifest.keeperRef, ref != "refs/ppds/trash/" + id { return nil }
        return manifest
    }

    // MARK: restore

    /// Puts a trashed worktree back exactly where it was: folder, admin entry, branch at its old
    /// tip, session file. Refuses, changing nothing, while any of those places is taken.
    /// An entry by its id (`ppds trash` shows it): worktrees removed without a session
    /// (`prune --all`) have no issue to name them by.
    public func restore(id: String) throws(PPDSError) -> TrashManifest {
        guard let manifest = entries().entries.first(where: { $0.id == id && ($0.state == .trashed || $0.state == .restoring) }) else {
            throw PPDSError.notFound("'\(id)' is not in the trash of \(workspace.repoRoot) ('ppds trash' lists the entries)")
        }
        return try putBack(manifest, finishing: true)
    }

    public func restore(issue: IssueNumber) throws(PPDSError) -> TrashManifest {
        let candidates = entries().entries.filter { $0.issue == issue.value && ($0.state == .trashed || $0.state == .restoring) }
        guard let manifest = candidates.last else {
            throw PPDSError.notFound("\(issue.tag) is not in the trash of \(workspace.repoRoot) ('ppds trash' lists it)")
        }
        return try putBack(manifest, finishing: true)
    }

    /// The places a restore needs that something else holds now.
    func taken(_ manifest: TrashManifest) -> [String] {
        var taken: [String] = []
        let entry = root + "/" + manifest.id
        if let folder = manifest.folderTrash, Self.device(folder) != nil, Self.device(manifest.worktree) != nil {
            taken.append("the folder \(manifest.worktree) exists")
        }
        if let admin = manifest.adminName, Self.device(entry + "/admin") != nil, Self.device(worktreesDir + "/" + admin) != nil {
            taken.append("the worktree entry .git/worktrees/\(admin) exists")
        }
        if let file = manifest.sessionFile, Self.device(entry + "/session.json") != nil, Self.device(file) != nil {
            taken.append("the session \(manifest.issueNumber?.tag ?? "") exists (\(file))")
        }
        // git checks a branch out in one worktree only.
        if let branch = manifest.branch, let holder = try? repository.worktreeHolding(branch: branch), !samePlace(holder, manifest.worktree) {
            taken.append("the branch \(branch) is checked out at \(holder)")
        }
        if let branch = manifest.branch, manifest.branchDeleted, let tip = manifest.branchTip {
            if let existing = try? repository.branch(branch), existing.target.hex != tip {
                taken.append("the branch \(branch) exists (at \(existing.target.short), not \(String(tip.prefix(7))))")
            }
        }
        let parent = (manifest.worktree as NSString).deletingLastPathComponent
        if Self.device(parent) == nil { taken.append("the folder's parent \(parent) is missing") }
        // The trashed folder itself must be there: a restore without it would bring back the
        // entry and the branch and forget the folder (a trash beside worktrees on an unmounted disk).
        if let folder = manifest.folderTrash, manifest.state == .trashed, Self.device(folder) == nil {
            taken.append("the trashed folder \(folder) is missing (an unmounted disk?)")
        }
        // Another worktree of this repository at or around that folder.
        if let list = try? repository.worktrees(), list.contains(where: { !$0.isMain && $0.name != manifest.adminName && samePlace($0.path, manifest.worktree) }) {
            taken.append("another worktree is registered at \(manifest.worktree)")
        }
        return taken
    }

    /// Moves every part still in the trash back to its place (a restore, or the rollback of a
    /// move that failed or was killed). `finishing`: a restore asked for, which refuses when a
    /// place is taken; otherwise parts whose place is taken stay in the trash.
    @discardableResult
    func putBack(_ manifest: TrashManifest, finishing: Bool) throws(PPDSError) -> TrashManifest {
        var manifest = manifest
        let taken = taken(manifest)
        if !taken.isEmpty {
            throw PPDSError.conflict("cannot restore \(manifest.issueNumber?.tag ?? manifest.id): \(taken.joined(separator: "; ")); nothing was changed")
        }
        let entry = root + "/" + manifest.id
        // The trashed folder must still be the worktree that went in: its `.git` names the entry.
        if let folder = manifest.folderTrash, Self.device(folder) != nil, let admin = manifest.adminName {
            let link = Repository.gitdirLink(of: folder).map { canonicalPath($0) }
            let expected = [worktreesDir + "/" + admin, entry + "/admin"].map { canonicalPath($0) }
            if link.map({ !expected.contains($0) }) ?? true {
                throw PPDSError.refused("\(folder)/.git does not point at .git/worktrees/\(admin); the trash entry \(manifest.id) was not made by ppds; nothing was changed")
            }
        }
        manifest.pid = getpid()
        if manifest.state != .moving { manifest.state = .restoring }
        try write(manifest)
        if manifest.branchDeleted, let branch = manifest.branch, let tip = manifest.branchTip.flatMap(ObjectID.init(hex:)) {
            if (try? repository.branch(branch)) == nil {
                do {
                    try repository.updateReference("refs/heads/" + branch, to: tip, expecting: nil, message: "ppds: restored from the trash \(manifest.id)")
                } catch {
                    throw PPDSError.conflict("cannot restore the branch \(branch): \(error.message)")
                }
                // Its history before the trash, then the restore's own line.
                let logFile = repository.commonDir + "/logs/refs/heads/" + branch
                if let saved = FileManager.default.contents(atPath: entry + "/branch.reflog") {
                    let now = FileManager.default.contents(atPath: logFile) ?? Data()
                    try? AtomicFile.write(saved + now, to: logFile)
                }
            }
        }
        try FaultInjection.checkpoint("restoreAfterBranch")
        if let file = manifest.sessionFile, Self.device(entry + "/session.json") != nil {
            try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Self.moveSmallFile(entry + "/session.json", file)
        }
        if let folder = manifest.folderTrash, Self.device(folder) != nil {
            try Self.rename(folder, manifest.worktree)
            if folder != entry + "/worktree" { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        }
        try FaultInjection.checkpoint("restoreAfterFolder")
        if let admin = manifest.adminName, Self.device(entry + "/admin") != nil {
            try? FileManager.default.createDirectory(atPath: worktreesDir, withIntermediateDirectories: true)
            try Self.rename(entry + "/admin", worktreesDir + "/" + admin)
        }
        if let ref = manifest.keeperRef, let target = repository.referenceTarget(ref) {
            try? repository.deleteReference(ref, expecting: target)
        }
        try? FileManager.default.removeItem(atPath: manifestPath(manifest.id))
        rmdir(entry)
        return manifest
    }

    // MARK: empty and expiry

    /// Deletes entries trashed before `before` (all when nil), with their refs.
    public func empty(before: Date?) throws(PPDSError) -> [TrashManifest] {
        var removed: [TrashManifest] = []
        var places: ProcessPlaces?
        for manifest in entries().entries where manifest.state == .trashed || manifest.state == .emptying {
            if let before, let date = Timestamp.parse(manifest.trashedAt), date >= before { continue }
            if inUse(manifest, places: &places) { continue }
            try delete(manifest)
            removed.append(manifest)
        }
        return removed
    }

    /// Entries whose expiry has passed.
    public func expire(now: Date = Date()) throws(PPDSError) -> [TrashManifest] {
        var removed: [TrashManifest] = []
        var places: ProcessPlaces?
        for manifest in entries().entries where manifest.state == .trashed {
            guard let expiry = Timestamp.parse(manifest.expiresAt), expiry <= now else { continue }
            if inUse(manifest, places: &places) { continue }
            try delete(manifest)
            removed.append(manifest)
        }
        return removed
    }

    /// A live process uses the trashed folder (it went in there after the move): the entry
    /// stays until it has ended, as a worktree in use is never removed. Scanned once per run.
    private func inUse(_ manifest: TrashManifest, places: inout ProcessPlaces?) -> Bool {
        guard let folder = manifest.folderTrash, FileManager.default.fileExists(atPath: folder) else { return false }
        if places == nil { places = ProcessPlaces.scan() }
        return !(places?.users(of: folder).isEmpty ?? true)
    }

    func delete(_ manifest: TrashManifest) throws(PPDSError) {
        var manifest = manifest
        manifest.state = .emptying
        manifest.pid = getpid()
        try write(manifest)
        if let ref = manifest.keeperRef, let target = repository.referenceTarget(ref) {
            try PPDSError.wrapping { try repository.deleteReference(ref, expecting: target) }
        }
        try FaultInjection.checkpoint("emptyAfterRef")
        let entry = root + "/" + manifest.id
        do {
            if let folder = manifest.folderTrash, folder != entry + "/worktree" {
                try FolderRemoval.remove((folder as NSString).deletingLastPathComponent)
            }
            for part in ["worktree", "admin", "session.json"] { try FolderRemoval.remove(entry + "/" + part) }
            try FaultInjection.checkpoint("emptyAfterFolder")
            try FolderRemoval.remove(entry)
        } catch {
            throw PPDSError.io("could not empty \(manifest.id): \(PPDSError.from(error).message)")
        }
    }

    // MARK: recovery

    /// Completes what a killed process left: a move is put back (the removal is judged again),
    /// a restore is finished, an empty is finished. Returns one line per entry.
    public func recover() -> [String] {
        var notes: [String] = []
        for manifest in entries().entries where manifest.state != .trashed {
            if manifest.pid > 0, manifest.pid != getpid(), kill(manifest.pid, 0) == 0 || errno == EPERM { continue }
            do {
                switch manifest.state {
                case .moving:
                    try putBack(manifest, finishing: false)
                    notes.append("\(manifest.issueNumber?.tag ?? manifest.id): a move to the trash was interrupted; everything was put back")
                case .restoring:
                    try putBack(manifest, finishing: true)
                    notes.append("\(manifest.issueNumber?.tag ?? manifest.id): an interrupted restore was finished")
                case .emptying:
                    try delete(manifest)
                    notes.append("trash entry \(manifest.id): an interrupted empty was finished")
                case .trashed: break
                }
            } catch {
                notes.append("\(manifest.issueNumber?.tag ?? manifest.id): could not complete the interrupted trash operation: \(error.message)")
            }
        }
        return notes
    }

    /// Entries a killed process left half-done, for doctor.
    public func interrupted() -> [TrashManifest] {
        entries().entries.filter { manifest in
            manifest.state != .trashed && !(manifest.pid > 0 && manifest.pid != getpid() && (kill(manifest.pid, 0) == 0 || errno == EPERM))
        }
    }
}
