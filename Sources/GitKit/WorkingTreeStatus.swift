import CGit2
import Foundation
import Support

/// How much a working folder differs from its HEAD and index.
public struct WorkingTreeStatus: Sendable, Equatable {
    /// Staged or unstaged changes to tracked files (conflicts, and submodules whose commit or
    /// content changed, included).
    public var changed: Int
    /// Untracked, not ignored, files or folders.
    public var untracked: Int
    /// Files marked skip-worktree or assume-unchanged whose content differs from the index:
    /// git status hides them, but they are someone's edits.
    public var hiddenEdits: [String] = []
    /// Ignored files and folders (folders end in `/`), when asked for.
    public var ignored: [String] = []
    /// Untracked folders (ending in `/`), where a clone or another worktree may live.
    public var untrackedFolders: [String] = []
    /// True when every submodule's folder was seen empty (the index stat check), so none holds
    /// a `.git` of its own; false when not looked at.
    public var submoduleFoldersEmpty = false

    public init(changed: Int, untracked: Int, hiddenEdits: [String] = [], ignored: [String] = []) {
        self.changed = changed
        self.untracked = untracked
        self.hiddenEdits = hiddenEdits
        self.ignored = ignored
    }

    /// Ignored content does not count: `git worktree remove` removes it too.
    public var isDirty: Bool { changed > 0 || untracked > 0 || !hiddenEdits.isEmpty }

    public var summary: String {
        var parts: [String] = []
        if changed > 0 { parts.append("\(changed) changed file\(changed == 1 ? "" : "s")") }
        if untracked > 0 { parts.append("\(untracked) untracked file\(untracked == 1 ? "" : "s")") }
        if !hiddenEdits.isEmpty {
            parts.append("\(hiddenEdits.count) edited file\(hiddenEdits.count == 1 ? "" : "s") hidden by skip-worktree or assume-unchanged (\(hiddenEdits.prefix(3).joined(separator: ", ")))")
        }
        return parts.isEmpty ? "no changes" : parts.joined(separator: " and ")
    }
}

extension Repository {
    /// The status of the working folder at `path` (any worktree of this repository).
    public func workingTreeStatus(at path: String, includeIgnored: Bool = false) throws(GitError) -> WorkingTreeStatus {
        let repository = try Repository.open(at: path)
        return try repository.workingTreeStatus(includeIgnored: includeIgnored)
    }

    /// The status of this handle's own working folder. Submodules count: a submodule's own
    /// repository lives under the worktree's admin folder, so its work goes with the worktree.
    public func workingTreeStatus(includeIgnored: Bool = false) throws(GitError) -> WorkingTreeStatus {
        var options = git_status_options()
        try gitCall("read status", workdir ?? gitDir) { git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)) }
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
        if includeIgnored { options.flags |= GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue }
        let list = try Handle.make("read status", workdir ?? gitDir, release: { git_status_list_free($0) }) {
            out in withPointer { git_status_list_new(&out, $0, &options) }
        }
        var status = WorkingTreeStatus(changed: 0, untracked: 0)
        list.withPointer { list in
            let count = git_status_list_entrycount(list)
            for index in 0..<count {
                guard let entry = git_status_byindex(list, index) else { continue }
                let flags = entry.pointee.status.rawValue
                if flags == GIT_STATUS_WT_NEW.rawValue {
                    status.untracked += 1
                    if let path = entry.pointee.index_to_workdir?.pointee.new_file.path {
                        let text = String(cString: path)
                        if text.hasSuffix("/") { status.untrackedFolders.append(text) }
                    }
                } else if flags & GIT_STATUS_IGNORED.rawValue != 0 {
                    if let path = entry.pointee.index_to_workdir?.pointee.new_file.path { status.ignored.append(String(cString: path)) }
                } else {
                    status.changed += 1
                }
            }
        }
        status.hiddenEdits = try hiddenEdits()
        return status
    }

    /// Index entries marked skip-worktree or assume-unchanged whose file exists and differs
    /// from the index (after the repository's filters, as `git add` would see it).
    func hiddenEdits() throws(GitError) -> [String] {
        guard let workdir else { return [] }
        let index = try Handle.make("read index", workdir, release: { git_index_free($0) }) {
            out in withPointer { git_repository_index(&out, $0) }
        }
        var edits: [String] = []
        // Entries' paths point into the index: read them while it is lent.
        index.withPointer { index in
            let count = git_index_entrycount(index)
            for position in 0..<count {
                guard let entry = git_index_get_byindex(index, position)?.pointee else { continue }
                let hidden = entry.flags & UInt16(GIT_INDEX_ENTRY_VALID.rawValue) != 0
                    || entry.flags_extended & UInt16(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0
                guard hidden, entry.mode != 0o160000, let relative = entry.path else { continue }
                let full = Array((workdir + "/").utf8CString.dropLast()) + Array(UnsafeBufferPointer(start: relative, count: strlen(relative) + 1))
                var info = stat()
                guard lstat(full, &info) == 0 else { continue }  // gone: nothing unique on disk
                var actual = git_oid()
                if info.st_mode & S_IFMT == S_IFLNK {
                    var target = [CChar](repeating: 0, count: 4097)
                    let length = readlink(full, &target, 4096)
                    guard length >= 0 else { edits.append(String(cString: relative)); continue }
                    _ = target.withUnsafeBytes { git_odb_hash(&actual, $0.baseAddress, length, GIT_OBJECT_BLOB) }
                } else if withPointer({ git_repository_hashfile(&actual, $0, full, GIT_OBJECT_BLOB, relative) }) != 0 {
                    git_error_clear()
                    edits.append(String(cString: relative))
                    continue
                }
                if ObjectID(actual) != ObjectID(entry.id) { edits.append(String(cString: relative)) }
            }
        }
        return edits
    }
}
