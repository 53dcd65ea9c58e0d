import CGit2
import Foundation
import Support

/// The fast dirty check, git's way: read the worktree's index, `lstat` each tracked file and
/// compare it with the stat data the index cached, hash only the files whose stat differs (or
/// that are racily clean), compare the index with HEAD's tree, and count each folder's entries
/// for untracked ones. It only ever proves "clean": anything else (a change, an untracked
/// file, a conflict, a submodule with content, an entry it does not understand) returns nil,
/// and the caller asks libgit2's full status, which gives the exact report.
struct IndexStatCheck {
    /// The repository handle of the calling thread; trees and refs are read through it, so
    /// its object cache serves every worktree the thread checks.
    let repository: Repository
    /// The worktree's folder and its admin folder (`.git/worktrees/<name>`).
    let folder: String
    let admin: String
    let includeIgnored: Bool

    /// Opened only when a file must be hashed with its filters, or an extra entry's
    /// ignore rules read: both need the worktree's own attributes and ignore files.
    private var worktreeHandle: Repository?
    private var ignored: [[UInt8]] = []

    init(repository: Repository, folder: String, admin: String, includeIgnored: Bool) {
        self.repository = repository
        self.folder = folder
        self.admin = admin
        self.includeIgnored = includeIgnored
    }

    /// The status when the worktree is provably clean (ignored content listed when asked);
    /// nil when it is not, or when this check cannot tell.
    mutating func cleanStatus() -> WorkingTreeStatus? {
        var before = stat()
        guard lstat(admin + "/index", &before) == 0 else { return nil }
        var out: OpaquePointer?
        // git_index_open reads the file when it exists.
        guard git_index_open(&out, admin + "/index") == 0, let out else { git_error_clear(); return nil }
        let index = Handle(out, release: { git_index_free($0) })
        // An index rewritten while it was read: its stat data and its mtime may disagree.
        var after = stat()
        guard lstat(admin + "/index", &after) == 0, sameTime(before.st_mtim, after.st_mtim), before.st_ino == after.st_ino,
              before.st_size == after.st_size else { return nil }
        let indexTime = after.st_mtim
        // The entries' paths point into the index: keep it alive until the last one is read.
        let matches = index.withPointer { index -> Bool in
            guard git_index_has_conflicts(index) == 0 else { return false }

            var entries: [git_index_entry] = []
            let count = git_index_entrycount(index)
            entries.reserveCapacity(count)
            for position in 0..<count {
                guard let entry = git_index_get_byindex(index, position)?.pointee, entry.path != nil else { return false }
                // Staged only through `add -N`, or a conflict stage: not clean.
                if entry.flags_extended & UInt16(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0 { return false }
                if (Int32(entry.flags) & GIT_INDEX_ENTRY_STAGEMASK) >> GIT_INDEX_ENTRY_STAGESHIFT != 0 { return false }
                entries.append(entry)
            }
            return matchesHead(entries) && workdirMatches(entries, indexTime: indexTime)
        }
        guard matches else { return nil }
        var status = WorkingTreeStatus(changed: 0, untracked: 0)
        status.submoduleFoldersEmpty = true
        status.ignored = ignored.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
        return status
    }

    // MARK: - Staged changes: the index against HEAD's tree

    /// Every index entry equals HEAD's tree entry at the same path, in the same order (both
    /// are sorted by full path), with nothing left over on either side.
    private func matchesHead(_ entries: [git_index_entry]) -> Bool {
        guard let head = headCommit() else { return false }
        var commitOid = head.raw
        var commitOut: OpaquePointer?
        guard repository.withPointer({ git_commit_lookup(&commitOut, $0, &commitOid) }) == 0, let commitOut else { git_error_clear(); return false }
        let commit = Handle(commitOut, release: { git_commit_free($0) })
        // The id lives in the commit object: copy it while the commit is certainly alive.
        guard let treeId = commit.withPointer({ git_commit_tree_id($0)?.pointee }) else { return false }
        var position = 0
        guard walk(tree: treeId, prefix: [], entries: entries, position: &position) else { return false }
        return position == entries.count
    }

    private func walk(tree id: git_oid, prefix: [UInt8], entries: [git_index_entry], position: inout Int) -> Bool {
        var oid = id
        var out: OpaquePointer?
        guard repository.withPointer({ git_tree_lookup(&out, $0, &oid) }) == 0, let out else { git_error_clear(); return false }
        let tree = Handle(out, release: { git_tree_free($0) })
        // Entries and names point into the tree: keep it alive through the loop.
        return tree.withPointer { walkEntries(of: $0, prefix: prefix, entries: entries, position: &position) }
    }

    /// `tree` is lent by `Handle.withPointer`: call only inside it.
    private func walkEntries(of tree: OpaquePointer, prefix: [UInt8], entries: [git_index_entry], position: inout Int) -> Bool {
        for child in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, child), let name = git_tree_entry_name(entry) else { return false }
            let mode = git_tree_entry_filemode(entry).rawValue
            if mode == GIT_FILEMODE_TREE.rawValue {
                var path = prefix
                path.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name)))
                path.append(UInt8(ascii: "/"))
                guard walk(tree: git_tree_entry_id(entry).pointee, prefix: path, entries: entries, position: &position) else { return false }
                continue
            }
            guard position < entries.count else { return false }
            var indexEntry = entries[position]
            guard indexEntry.mode == mode, git_oid_equal(&indexEntry.id, git_tree_entry_id(entry)) != 0,
                  strlen(indexEntry.path) >= prefix.count, memcmp(indexEntry.path, prefix, prefix.count) == 0,
                  strcmp(indexEntry.path + prefix.count, name) == 0 else { return false }
            position += 1
        }
        return true
    }

    /// The commit the worktree's HEAD names: a branch (a shared ref) or a detached commit.
    private func headCommit() -> ObjectID? {
        guard let raw = FileManager.default.contents(atPath: admin + "/HEAD") else { return nil }
        let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("ref: refs/heads/") {
            var oid = git_oid()
            guard repository.withPointer({ git_reference_name_to_id(&oid, $0, String(text.dropFirst(5))) }) == 0 else { git_error_clear(); return nil }
            return ObjectID(oid)
        }
        return ObjectID(hex: text)
    }

    // MARK: - The working folder against the index

    /// One folder on the way down: its descriptor (opened without following a symlink, so
    /// every path below it is real) and how many distinct tracked names it holds.
    private struct Frame {
        var path: [UInt8]
        var fd: Int32
        var tracked: Int
    }

    /// Walks the entries in index order, which visits each folder's entries together: a
    /// stack of open folders follows the path, each file is `fstatat`ed in its folder, and a
    /// folder is counted when it is left. A folder with more entries than tracked names holds
    /// something untracked or ignored.
    private mutating func workdirMatches(_ entries: [git_index_entry], indexTime: timespec) -> Bool {
        let root = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { return false }
        var stack = [Frame(path: [], fd: root, tracked: 0)]
        var extraFolders: [[UInt8]] = []
        defer { for frame in stack { close(frame.fd) } }
        func leave(_ frame: Frame) -> Bool {
            guard let present = IndexStatCheck.entryCount(frame.fd, isRoot: frame.path.isEmpty) else { return false }
            if present < frame.tracked { return false }
            if present > frame.tracked { extraFolders.append(frame.path) }
            return true
        }
        for entry in entries {
            let path = pathBytes(entry)
            let slash = path.lastIndex(of: UInt8(ascii: "/"))
            let folderPart = slash.map { path[path.startIndex...$0] } ?? path[path.startIndex..<path.startIndex]
            let nameStart = slash.map { $0 + 1 } ?? 0
            // Leave the folders this entry is not in.
            while stack.count > 1, !folderPart.starts(with: stack[stack.count - 1].path) {
                guard leave(stack.removeLast()) else { return false }
            }
            // Enter the folders it is in, one component at a time.
            while stack[stack.count - 1].path.count < folderPart.count {
                let parent = stack[stack.count - 1]
                let rest = folderPart[(folderPart.startIndex + parent.path.count)...]
                guard let end = rest.firstIndex(of: UInt8(ascii: "/")) else { return false }
                let component = Array(rest[rest.startIndex..<end])
                let fd = IndexStatCheck.openFolder(parent.fd, component)
                guard fd >= 0 else { return false }
                stack[stack.count - 1].tracked += 1
                stack.append(Frame(path: Array(folderPart[folderPart.startIndex...end]), fd: fd, tracked: 0))
            }
            stack[stack.count - 1].tracked += 1
            guard check(entry, name: entry.path + nameStart, in: stack[stack.count - 1].fd, indexTime: indexTime) else { return false }
        }
        while let frame = stack.popLast() {
            guard leave(frame) else { return false }
        }
        stack = []
        for extra in extraFolders {
            guard classifyExtras(in: extra, entries: entries) else { return false }
        }
        return true
    }

    /// Whether one tracked entry matches the index: by stat data when it can, else by content.
    /// `name` is the entry's last path component (the tail of its path).
    private mutating func check(_ entry: git_index_entry, name: UnsafePointer<CChar>, in folderFD: Int32, indexTime: timespec) -> Bool {
        var info = stat()
        guard fstatat(folderFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return false }  // deleted (or unreadable): a change
        let kind = info.st_mode & S_IFMT
        switch entry.mode {
        case 0o160000:
            // A submodule that was never initialised is an empty folder; one with content has
            // its own HEAD and work, which only the full status judges.
            guard kind == S_IFDIR else { return false }
            let fd = openat(folderFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return false }
            return IndexStatCheck.entryCount(fd, isRoot: false) == 0
        case 0o120000:
            guard kind == S_IFLNK else { return false }
        case 0o100644:
            guard kind == S_IFREG, info.st_mode & S_IXUSR == 0 else { return false }
        case 0o100755:
            guard kind == S_IFREG, info.st_mode & S_IXUSR != 0 else { return false }
        default:
            return false
        }
        // skip-worktree and assume-unchanged hide edits from git's status; the contract is to
        // find them, so these are always compared by content.
        let hidden = entry.flags & UInt16(GIT_INDEX_ENTRY_VALID.rawValue) != 0
            || entry.flags_extended & UInt16(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0
        if !hidden {
            if statMatches(entry, info) && !isRacy(entry, indexTime: indexTime) { return true }
            // git calls a size change modified without reading the file (a size of 0 in the
            // index is git's mark for "racily clean, compare the content").
            if entry.file_size != 0 && entry.file_size != UInt32(truncatingIfNeeded: info.st_size) { return false }
        }
        return contentMatches(entry, kind: kind)
    }

    /// git's `ie_match_stat` with every check on (core.checkStat=default, trustctime): the
    /// index keeps 32 bits of each field.
    private func statMatches(_ entry: git_index_entry, _ info: stat) -> Bool {
        entry.mtime.seconds == Int32(truncatingIfNeeded: info.st_mtim.tv_sec)
            && entry.mtime.nanoseconds == UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec)
            && entry.ctime.seconds == Int32(truncatingIfNeeded: info.st_ctim.tv_sec)
            && entry.ctime.nanoseconds == UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec)
            && entry.file_size == UInt32(truncatingIfNeeded: info.st_size)
            && entry.ino == UInt32(truncatingIfNeeded: info.st_ino)
            && entry.dev == UInt32(truncatingIfNeeded: info.st_dev)
            && entry.uid == info.st_uid && entry.gid == info.st_gid
    }

    /// Racy git: a file changed in the same instant the index was written can keep the stat
    /// data the index recorded, so an entry not older than the index is compared by content.
    private func isRacy(_ entry: git_index_entry, indexTime: timespec) -> Bool {
        let seconds = Int(entry.mtime.seconds), indexSeconds = Int(indexTime.tv_sec)
        return seconds > indexSeconds || (seconds == indexSeconds && Int(entry.mtime.nanoseconds) >= indexTime.tv_nsec)
    }

    /// The file hashed as `git add` would store it (the worktree's filters applied), against
    /// the index's blob.
    private mutating func contentMatches(_ entry: git_index_entry, kind: mode_t) -> Bool {
        guard let worktree = worktreeRepository() else { return false }
        let relative = String(cString: entry.path)
        let full = folder + "/" + relative
        var actual = git_oid()
        if kind == S_IFLNK {
            var target = [CChar](repeating: 0, count: 4097)
            let length = readlink(full, &target, 4096)
            guard length >= 0 && length < 4096 else { return false }
            guard target.withUnsafeBytes({ git_odb_hash(&actual, $0.baseAddress, length, GIT_OBJECT_BLOB) }) == 0 else { return false }
        } else if worktree.withPointer({ git_repository_hashfile(&actual, $0, full, GIT_OBJECT_BLOB, entry.path) }) != 0 {
            git_error_clear()
            return false
        }
        return ObjectID(actual) == ObjectID(entry.id)
    }

    private mutating func worktreeRepository() -> Repository? {
        if worktreeHandle == nil { worktreeHandle = try? Repository.open(at: folder) }
        return worktreeHandle
    }

    // MARK: - Untracked and ignored entries

    /// A folder holds entries the index does not name: each must be ignored (listed when
    /// asked for), or the worktree is not provably clean.
    private mutating func classifyExtras(in folderPath: [UInt8], entries: [git_index_entry]) -> Bool {
        var tracked = Set<[UInt8]>()
        for entry in entries {
            let path = pathBytes(entry)
            guard path.starts(with: folderPath) else { continue }
            let rest = path[(path.startIndex + folderPath.count)...]
            tracked.insert(Array(rest.prefix { $0 != UInt8(ascii: "/") }))
        }
        guard let names = IndexStatCheck.entryNames(folder + "/" + String(decoding: folderPath, as: UTF8.self), isRoot: folderPath.isEmpty),
              let worktree = worktreeRepository() else { return false }
        for name in names where !tracked.contains(name) {
            let relative = folderPath + name
            // Paths are bytes: a name that is not UTF-8 cannot be asked about through a String.
            guard let text = String(validating: relative, as: UTF8.self) else { return false }
            var info = stat()
            guard lstat(folder + "/" + text, &info) == 0 else { return false }
            let isFolder = info.st_mode & S_IFMT == S_IFDIR
            var isIgnored: Int32 = 0
            guard worktree.withPointer({ git_ignore_path_is_ignored(&isIgnored, $0, isFolder ? text + "/" : text) }) == 0 else { git_error_clear(); return false }
            guard isIgnored == 1 else { return false }
            if includeIgnored { ignored.append(isFolder ? relative + [UInt8(ascii: "/")] : relative) }
        }
        return true
    }

    // MARK: - Helpers

    /// The entry's path bytes, borrowed from the index (valid while the index is open).
    private func pathBytes(_ entry: git_index_entry) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: UnsafeRawPointer(entry.path!).assumingMemoryBound(to: UInt8.self), count: strlen(entry.path))
    }

    private func sameTime(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }

    static func openFolder(_ parent: Int32, _ name: [UInt8]) -> Int32 {
        (name + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                openat(parent, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
        }
    }

    /// How many entries a folder holds (not `.` and `..`, nor the root's `.git`). Takes the
    /// descriptor over and closes it.
    static func entryCount(_ fd: Int32, isRoot: Bool) -> Int? {
        guard let dir = fdopendir(fd) else { close(fd); return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if skip(entry, isRoot: isRoot) { continue }
            count += 1
        }
        return count
    }

    static func entryNames(_ path: String, isRoot: Bool) -> [[UInt8]]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            if skip(entry, isRoot: isRoot) { continue }
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) })
        }
        return names
    }

    private static func skip(_ entry: UnsafeMutablePointer<dirent>, isRoot: Bool) -> Bool {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            let name = raw.prefix { $0 != 0 }
            if name.elementsEqual([UInt8(ascii: ".")]) || name.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return true }
            return isRoot && name.elementsEqual(Array(".git".utf8))
        }
    }
}

extension Repository {
    /// The status of the linked worktree `name` whose folder is `folder`, from the index's
    /// stat data when that proves it clean (as git decides), else from libgit2's full status.
    /// Call it on the main repository's handle; each thread needs its own.
    public func worktreeStatus(name: String, folder: String, includeIgnored: Bool = false) throws(GitError) -> WorkingTreeStatus {
        if let clean = provenCleanStatus(name: name, folder: folder, includeIgnored: includeIgnored) { return clean }
        return try workingTreeStatus(at: folder, includeIgnored: includeIgnored)
    }

    /// The fast check alone: the status when the index's stat data (and hashing where it
    /// differs) proves the worktree clean; nil when it does not.
    public func provenCleanStatus(name: String, folder: String, includeIgnored: Bool = false) -> WorkingTreeStatus? {
        guard let admin = adminFolder(ofWorktree: name, folder: folder) else { return nil }
        var check = IndexStatCheck(repository: self, folder: folder, admin: admin, includeIgnored: includeIgnored)
        return check.cleanStatus()
    }

    /// The admin folder the worktree's `.git` file names, when it is this repository's entry
    /// `name` and that entry's common folder is this repository's; nil otherwise.
    private func adminFolder(ofWorktree name: String, folder: String) -> String? {
        guard !name.isEmpty, let link = Repository.gitdirLink(of: folder) else { return nil }
        let expected = worktreesAdminDir + "/" + name
        guard let linked = FileIdentity(path: link), linked == FileIdentity(path: expected),
              let text = Repository.readFile(expected + "/commondir")?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        let common = text.hasPrefix("/") ? text : expected + "/" + text
        guard let shared = FileIdentity(path: common), shared == FileIdentity(path: commonDir) else { return nil }
        return expected
    }
}
