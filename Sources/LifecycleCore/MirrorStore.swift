import SessionKit

extension Workspace {
    /// Copies of other machines' sessions of this repository, written only by sync and by
    /// `guide`/`pause`/`resume` (whose changes sync carries back to the owner). Local verbs
    /// (prune, doctor, start-work recovery, status problems) never read this folder.
    public var mirrorStore: SessionStore {
        SessionStore(home: store.home + "/registry/" + SessionStore.folderKey(forRepo: repoRoot))
    }
}
