import CGit2
import Support

/// How a branch began, from the oldest entry of its reflog.
public struct BranchOrigin: Sendable, Equatable {
    /// The commit the branch was created at.
    public let commit: ObjectID
    /// The reflog message, e.g. `branch: Created from 1a2b…`.
    public let message: String
}

extension Repository {
    /// The oldest reflog entry of `branch`, when it records the ref coming into being (old
    /// id all zeros); nil when there is no reflog or it was expired or rewritten.
    public func origin(ofBranch branch: String) -> BranchOrigin? {
        var out: OpaquePointer?
        git_error_clear()
        guard withPointer({ git_reflog_read(&out, $0, "refs/heads/" + branch) }) == 0, let out else { git_error_clear(); return nil }
        let reflog = Handle(out, release: { git_reflog_free($0) })
        return reflog.withPointer { reflog in
            let count = git_reflog_entrycount(reflog)
            // Entry 0 is the newest.
            guard count > 0, let entry = git_reflog_entry_byindex(reflog, count - 1),
                  let old = git_reflog_entry_id_old(entry), let new = git_reflog_entry_id_new(entry) else { return nil }
            var oldID = old.pointee
            guard git_oid_is_zero(&oldID) == 1 else { return nil }
            let message = git_reflog_entry_message(entry).map { String(cString: $0) } ?? ""
            return BranchOrigin(commit: ObjectID(new.pointee), message: message)
        }
    }
}
