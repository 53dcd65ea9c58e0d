import CGit2

/// How much a working folder differs from its HEAD and index.
public struct WorkingTreeStatus: Sendable, Equatable {
    /// Staged or unstaged changes to tracked files (conflicts included).
    public let changed: Int
    /// Untracked, not ignored, files or folders.
    public let untracked: Int

    public var isDirty: Bool { changed > 0 || untracked > 0 }

    public var summary: String {
        var parts: [String] = []
        if changed > 0 { parts.append("\(changed) changed file\(changed == 1 ? "" : "s")") }
        if untracked > 0 { parts.append("\(untracked) untracked file\(untracked == 1 ? "" : "s")") }
        return parts.isEmpty ? "no changes" : parts.joined(separator: " and ")
    }
}

extension Repository {
    /// The status of the working folder at `path` (any worktree of this repository).
    public func workingTreeStatus(at path: String) throws(GitError) -> WorkingTreeStatus {
        let repository = try Repository.open(at: path)
        return try repository.workingTreeStatus()
    }

    /// The status of this handle's own working folder.
    public func workingTreeStatus() throws(GitError) -> WorkingTreeStatus {
        var options = git_status_options()
        try gitCall("read status", workdir ?? gitDir) { git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)) }
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        let list = try Handle.make("read status", workdir ?? gitDir, release: { git_status_list_free($0) }) {
            git_status_list_new(&$0, pointer, &options)
        }
        var changed = 0, untracked = 0
        let count = git_status_list_entrycount(list.pointer)
        for index in 0..<count {
            guard let entry = git_status_byindex(list.pointer, index) else { continue }
            let status = entry.pointee.status.rawValue
            if status == GIT_STATUS_WT_NEW.rawValue {
                untracked += 1
            } else if status & GIT_STATUS_IGNORED.rawValue == 0 {
                changed += 1
            }
        }
        return WorkingTreeStatus(changed: changed, untracked: untracked)
    }
}
