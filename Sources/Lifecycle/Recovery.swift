import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// Finishes or rolls back operations that were interrupted, from their intent records.
/// It never removes anything that holds work: a worktree with changes, or a branch that
/// moved past the commit it was created at.
struct Recovery {
    let workspace: Workspace
    let repository: Repository

    struct Outcome {
        var done: Bool
        var notes: [String]
    }

    /// Undoes an unfinished start-work: worktree, admin entry, branch, and (when asked, for a
    /// failure inside the same run) the session file. A start whose session file was written
    /// completely is finished instead: only the record goes.
    func rollBackStart(_ intent: Intent, removeSession: Bool = false) -> Outcome {
        var notes: [String] = []
        let intents = IntentStore(home: workspace.store.home)
        // (A recreate's session was there before it began: its presence says nothing.)
        if intent.operation == .startWork, !removeSession, let issue = intent.issueNumber, let session = try? workspace.store.loadIfPresent(issue),
           session.branch == intent.branch, canonicalPath(session.worktree) == canonicalPath(intent.worktree) {
            intents.clear(intent)
            return Outcome(done: true, notes: ["the start of \(issue.tag) had completed; its record was cleared"])
        }
        var clean = true
        if let admin = intent.adminName, let worktree = repository.worktree(named: admin),
           worktree.path.isEmpty || canonicalPath(worktree.path) == canonicalPath(intent.worktree) {
            // An intent record is a file anyone can write. The worktree goes only when it is
            // exactly what this start was making: no session claims its folder, it has the
            // start's branch checked out at the start's commit, and the folder holds nothing but
            // that commit's files and copies (a start killed half-way leaves missing, cut-short
            // or copied files, and maybe no index: that loses nothing).
            let commit = intent.commit.flatMap(ObjectID.init(hex:))
            // (The session this very start wrote, same issue and branch, is not another's claim.)
            let claimed = worktree.state == .ok && workspace.store.list().sessions.contains { session in
                samePlace(session.worktree, worktree.path) && !(session.issue.value == intent.issue && session.branch == intent.branch)
            }
            let startsBranch = worktree.head == .branch(intent.branch)
                && commit != nil && (try? repository.branch(intent.branch))??.target == commit
            let untouched = worktree.state == .ok && commit.map {
                repository.folderHoldsOnlyCheckout(at: worktree.path, of: $0, copiesFrom: workspace.repoRoot)
            } ?? false
            if worktree.state == .ok && (claimed || !startsBranch || !untouched) {
                clean = false
                notes.append("kept worktree \(worktree.path): " + (claimed ? "a session claims it" : !startsBranch
                    ? "it does not have \(intent.branch) at the start's commit checked out" : "it holds files of its own"))
            } else {
                do {
                    try repository.removeWorktree(admin, force: untouched)
                    notes.append("removed worktree \(intent.worktree)")
                } catch {
                    clean = false
                    notes.append("kept worktree \(intent.worktree): \(error.message)")
                }
            }
        }
        if clean, let admin = intent.adminName, repository.worktree(named: admin) == nil, FileManager.default.fileExists(atPath: intent.worktree) {
            // A folder without an admin entry: libgit2 died between the two (or the entry,
            // half-made, was just removed above). Remove it only when
            // its .git file names exactly this repository's entry that this start was making,
            // and it holds nothing but the commit's files and copies.
            let untouched = intent.commit.flatMap(ObjectID.init(hex:)).map {
                repository.folderHoldsOnlyCheckout(at: intent.worktree, of: $0, copiesFrom: workspace.repoRoot)
            } ?? false
            let expected = repository.worktreesAdminDir + "/" + admin
            // (git's add makes the folder, then its .git link, then the files: killed before the
            // link, the folder is empty.)
            let empty = (try? FileManager.default.contentsOfDirectory(atPath: intent.worktree))?.isEmpty == true
            if untouched, Repository.gitdirLink(of: intent.worktree) != nil || Repository.isHalfWrittenLink(intent.worktree, to: expected) || empty {
                do {
                    try repository.removeLeftoverWorktreeFolder(intent.worktree, adminName: admin)
                    notes.append("removed half-made folder \(intent.worktree)")
                } catch {
                    clean = false
                    notes.append("kept \(intent.worktree): \(error.message)")
                }
            } else {
                clean = false
                notes.append("kept \(intent.worktree): it exists but was not made by this start, or holds other files")
            }
        }
        if repository.removeStaleRefLock(branch: intent.branch) {
            notes.append("removed a stale lock on \(intent.branch)")
        }
        if intent.existingBranch != true, intent.operation == .startWork, let commit = intent.commit.flatMap(ObjectID.init(hex:)),
           let branch = try? repository.branch(intent.branch) {
            // An intent record is a file anyone can write: delete only a branch whose reflog
            // shows ppds created it at that commit and that never moved since.
            let origin = repository.origin(ofBranch: intent.branch)
            let createdHere = origin?.commit == commit && origin?.message == "branch: Created from " + commit.hex
                && repository.reflogEntryCount(branch: intent.branch) == 1
            if !createdHere {
                clean = false
                notes.append("kept branch \(intent.branch): its history does not show this start created it")
            } else if branch.target == commit {
                do {
                    try repository.deleteBranch(intent.branch, expecting: commit)
                    notes.append("deleted branch \(intent.branch)")
                } catch {
                    clean = false
                    notes.append("kept branch \(intent.branch): \(error.message)")
                }
            } else {
                clean = false
                notes.append("kept branch \(intent.branch): it has commits since it was created")
            }
        }
        if removeSession, intent.operation == .startWork, let issue = intent.issueNumber, let session = try? workspace.store.loadIfPresent(issue),
           session.branch == intent.branch {
            try? FileManager.default.removeItem(atPath: workspace.store.path(for: issue))
        }
        if clean { intents.clear(intent) }
        return Outcome(done: clean, notes: notes)
    }
}
