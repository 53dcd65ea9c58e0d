import CGit2
import Foundation
import Support

extension Repository {
    /// Fetches `remote` with its configured refspecs (libgit2; no git subprocess). Remotes on
    /// this machine (a path, file://) need no credentials; one that asks for them fails with a
    /// message that says so, rather than prompting.
    public func fetch(remote name: String) throws(GitError) {
        let remote = try Handle.make("look up remote", name, release: { git_remote_free($0) }) {
            out in withPointer { git_remote_lookup(&out, $0, name) }
        }
        var options = git_fetch_options()
        try gitCall("fetch", name) { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
        // No credential callback: libgit2 then fails at once when the remote wants credentials.
        do {
            try gitCall("fetch", name) { remote.withPointer { git_remote_fetch($0, nil, &options, "fetch (ppds prune --fetch)") } }
        } catch {
            let hint = error.message.lowercased().contains("auth") || error.message.lowercased().contains("credential")
                ? "; it needs credentials: run 'git fetch \(name)' yourself" : ""
            throw GitError(error.kind, "fetch", name, code: error.code, message: error.message + hint)
        }
    }

    /// The remote a remote-tracking name (`origin/main`) belongs to, if there is such a remote.
    public func remote(ofTrackingName name: String) -> String? {
        var list = git_strarray()
        guard withPointer({ git_remote_list(&list, $0) }) == 0 else { git_error_clear(); return nil }
        defer { git_strarray_dispose(&list) }
        let remotes = (0..<list.count).compactMap { list.strings[$0].map { String(cString: $0) } }
        return remotes.sorted { $0.count > $1.count }.first { name.hasPrefix($0 + "/") || name.hasPrefix("refs/remotes/" + $0 + "/") }
    }
}
