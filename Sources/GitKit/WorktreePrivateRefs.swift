import CGit2
import Foundation
import Support

extension Repository {
    /// The commits of every ref the repository shares (branches, remote-tracking branches,
    /// tags, notes, stash, …), peeled to commits: what survives any worktree's removal.
    public func sharedRefTips() -> [ObjectID] {
        var tips: [ObjectID] = []
        var out: OpaquePointer?
        guard withPointer({ git_reference_iterator_new(&out, $0) }) == 0, let out else { git_error_clear(); return [] }
        let iterator = Handle(out, release: { git_reference_iterator_free($0) })
        var ref: OpaquePointer?
        while iterator.withPointer({ git_reference_next(&ref, $0) }) == 0, let ref {
            let owned = Handle(ref, release: { git_reference_free($0) })
            let name = owned.withPointer { String(cString: git_reference_name($0)) }
            // Per-worktree refs of the handle's own worktree are not shared.
            if name.hasPrefix("refs/worktree/") || name.hasPrefix("refs/bisect/") || name.hasPrefix("refs/rewritten/") { continue }
            var object: OpaquePointer?
            guard owned.withPointer({ git_reference_peel(&object, $0, GIT_OBJECT_COMMIT) }) == 0, let object else { git_error_clear(); continue }
            tips.append(ObjectID(git_object_id(object).pointee))
            git_object_free(object)
        }
        git_error_clear()
        return tips
    }

    /// Whether `commit` is reachable from any of `tips` (equal counts).
    public func isReachable(_ commit: ObjectID, fromAny tips: [ObjectID]) throws(GitError) -> Bool {
        guard !tips.isEmpty else { return false }
        var target = commit.raw
        var raw = tips.map(\.raw)
        let code = try gitCall("check ancestry", commit.short) {
            withPointer { git_graph_reachable_from_any($0, &target, &raw, raw.count) }
        }
        return code == 1
    }

    /// The commits a linked worktree's own refs name (`refs/worktree/*`, `refs/bisect/*`,
    /// `refs/rewritten/*` under its admin entry): they go with the entry when it is removed.
    public func privateRefTips(ofWorktree name: String) -> [(ref: String, commit: ObjectID)] {
        let root = worktreesAdminDir + "/" + name + "/refs"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [(String, ObjectID)] = []
        while let relative = walker.nextObject() as? String {
            let file = root + "/" + relative
            guard let text = Repository.readFile(file)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  let id = ObjectID(hex: text) else { continue }
            found.append(("refs/" + relative, id))
        }
        return found
    }
}
