import CGit2
import Foundation
import Support

/// One ref to set on a remote: `new` nil deletes it. `expected` is what the remote must still
/// hold (nil: the ref must not exist), so every update is a compare-and-swap.
public struct RemoteRefUpdate: Sendable, Equatable {
    public let name: String
    public let new: ObjectID?
    public let expected: ObjectID?

    public init(name: String, new: ObjectID?, expected: ObjectID?) {
        self.name = name
        self.new = new
        self.expected = expected
    }
}

/// What the remote did with one update.
public enum RemoteRefOutcome: Sendable, Equatable {
    case updated
    /// The remote's ref was not what we expected (someone else pushed first).
    case moved(String)
    /// The remote refused it for another reason (a hook, permissions).
    case refused(String)
}

/// What a fetch brought.
public struct FetchStats: Sendable, Equatable {
    public let receivedObjects: Int
    public let receivedBytes: Int
}

/// The payload of a push's callbacks: credentials, the expected old values, and what came back.
private final class PushState {
    let credentials = CredentialAttempts()
    var expected: [String: ObjectID?] = [:]
    var negotiationFailures: [String] = []
    var statuses: [String: String] = [:]
}

private let pushCredential: git_credential_acquire_cb = { out, url, user, types, payload in
    guard let payload else { return GIT_PASSTHROUGH.rawValue }
    let state = Unmanaged<PushState>.fromOpaque(payload).takeUnretainedValue()
    return acquireCredential(out, url, user, types, Unmanaged.passUnretained(state.credentials).toOpaque())
}

// Checks, on the push's own connection, that every ref still holds what we expect before
// anything is sent; the server's compare-and-swap on the old value covers the rest.
private let pushNegotiation: git_push_negotiation = { updates, count, payload in
    guard let payload, let updates else { return 0 }
    let state = Unmanaged<PushState>.fromOpaque(payload).takeUnretainedValue()
    for index in 0..<count {
        guard let update = updates[index]?.pointee, let dst = update.dst_refname else { continue }
        let name = String(cString: dst)
        let advertised = git_oid_is_zero([update.src]) == 1 ? nil : ObjectID(update.src)
        if let expected = state.expected[name], expected != advertised {
            state.negotiationFailures.append(name)
        }
    }
    return state.negotiationFailures.isEmpty ? 0 : GIT_EUSER.rawValue
}

private let pushStatus: git_push_update_reference_cb = { refname, status, payload in
    if let status, let refname, let payload {
        Unmanaged<PushState>.fromOpaque(payload).takeUnretainedValue().statuses[String(cString: refname)] = String(cString: status)
    }
    return 0
}

extension Repository {
    /// The URL of remote `name`; a `.notFound` error when there is no such remote.
    public func remoteURL(_ name: String) throws(GitError) -> String {
        let remote: Handle
        do {
            remote = try Handle.make("look up remote", name, release: { git_remote_free($0) }) { out in withPointer { git_remote_lookup(&out, $0, name) } }
        } catch where error.kind == .notFound || error.kind == .invalidName {
            throw GitError(.notFound, "look up remote", name, message: "the repository has no remote '\(name)'")
        }
        return remote.withPointer { git_remote_url($0).map { String(cString: $0) } ?? "" }
    }

    /// The folder of a remote on this machine (a path or a file:// URL), else nil.
    public static func localRemotePath(_ url: String) -> String? {
        if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)).removingPercentEncoding }
        if url.hasPrefix("/") { return url }
        return nil
    }

    /// Fetches `refspecs` (e.g. `+refs/ppds/*:refs/ppds-remote/origin/*`) from remote `name`, with
    /// the user's credentials (ssh-agent, then the default credential). With `prune`, tracking refs
    /// whose remote ref is gone are deleted. No tags, no FETCH_HEAD.
    ///
    /// A remote on this machine (a path or file://) is read in place: libgit2 1.5.1's local
    /// transport hides every local ref in a walk over the remote and builds a pack even for a
    /// handful of objects (a sync after 10 changed sessions cost 2.3× a no-change one); ppds
    /// copies the missing objects itself. Refspecs are `+src:dst` or `+prefix/*:prefix/*`.
    @discardableResult
    public func fetch(remote name: String, refspecs: [String], prune: Bool) throws(GitError) -> FetchStats {
        if let path = Repository.localRemotePath(try remoteURL(name)) {
            return try fetchLocally(from: path, refspecs: refspecs, prune: prune)
        }
        let remote: Handle
        do {
            remote = try Handle.make("look up remote", name, release: { git_remote_free($0) }) { out in withPointer { git_remote_lookup(&out, $0, name) } }
        } catch where error.kind == .notFound || error.kind == .invalidName {
            throw GitError(.notFound, "fetch", name, message: "the repository has no remote '\(name)'")
        }
        var options = git_fetch_options()
        try gitCall("fetch", name) { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
        let attempts = CredentialAttempts()
        let payload = Unmanaged.passRetained(attempts)
        defer { payload.release() }
        options.callbacks.credentials = acquireCredential
        options.callbacks.payload = payload.toOpaque()
        options.prune = prune ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.update_fetchhead = 0
        _ = try withStrArray(refspecs) { array throws(GitError) in
            try gitCall("fetch", name) { remote.withPointer { git_remote_fetch($0, &array, &options, "ppds sync") } }
        }
        guard let stats = remote.withPointer({ git_remote_stats($0)?.pointee }) else { return FetchStats(receivedObjects: 0, receivedBytes: 0) }
        return FetchStats(receivedObjects: Int(stats.received_objects), receivedBytes: Int(stats.received_bytes))
    }

    /// Applies `updates` to remote `name`, never forced, each a compare-and-swap. Local ref
    /// `update.name` must already hold `update.new` (the push sends that ref).
    ///
    /// libgit2 1.5.1's local transport (a path or file://) updates the remote's refs with force
    /// and no compare-and-swap, so two machines pushing at once could lose an update; for a
    /// remote on this machine ppds copies the objects and updates the refs itself, under the
    /// remote's ref locks. Other remotes get `git_remote_push`, whose server checks the old value.
    public func pushReferences(remote name: String, _ updates: [RemoteRefUpdate]) throws(GitError) -> [String: RemoteRefOutcome] {
        guard !updates.isEmpty else { return [:] }
        let url = try remoteURL(name)
        if let path = Repository.localRemotePath(url) {
            return try pushLocally(to: path, updates)
        }
        let remote = try Handle.make("look up remote", name, release: { git_remote_free($0) }) { out in withPointer { git_remote_lookup(&out, $0, name) } }
        var options = git_push_options()
        try gitCall("push", name) { git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)) }
        let state = PushState()
        for update in updates { state.expected[update.name] = update.expected }
        let payload = Unmanaged.passRetained(state)
        defer { payload.release() }
        options.callbacks.credentials = pushCredential
        options.callbacks.push_negotiation = pushNegotiation
        options.callbacks.push_update_reference = pushStatus
        options.callbacks.payload = payload.toOpaque()
        let refspecs = updates.map { ($0.new == nil ? "" : $0.name) + ":" + $0.name }
        var code: Int32 = 0
        var failure: GitError?
        withStrArray(refspecs) { array in
            git_error_clear()
            code = remote.withPointer { git_remote_push($0, &array, &options) }
            if code < 0 { failure = GitError.last(code, "push", name) }
        }
        var outcomes: [String: RemoteRefOutcome] = [:]
        if let failure {
            if !state.negotiationFailures.isEmpty || code == GIT_ENONFASTFORWARD.rawValue {
                for update in updates { outcomes[update.name] = .moved("\(name) has another value (fetch first)") }
                return outcomes
            }
            if code == GIT_EAUTH.rawValue || failure.message.lowercased().contains("auth") {
                throw GitError(.libgit2, "push", name, code: code,
                               message: "\(name) refused the credentials (tried ssh-agent and the default credential): \(failure.message)")
            }
            throw failure
        }
        for update in updates {
            if let status = state.statuses[update.name] {
                // What git's receive-pack says when the ref's old value no longer matches (a race).
                let moved = ["fetch first", "non-fast-forward", "stale info", "failed to lock", "already exists", "cannot lock",
                             "failed to update ref", "but expected"]
                    .contains { status.lowercased().contains($0) }
                outcomes[update.name] = moved ? .moved(status) : .refused(status)
            } else {
                outcomes[update.name] = .updated
            }
        }
        return outcomes
    }

    private func fetchLocally(from path: String, refspecs: [String], prune: Bool) throws(GitError) -> FetchStats {
        let source: Repository
        do {
            source = try Repository.open(at: path)
        } catch {
            throw GitError(error.kind, "fetch", path, code: error.code, message: "cannot open the remote: \(error.message)")
        }
        var copied = 0
        for spec in refspecs {
            let parts = spec.drop(while: { $0 == "+" }).split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw GitError(.invalidName, "fetch", spec, message: "unsupported refspec") }
            let wildcard = parts[0].hasSuffix("*") && parts[1].hasSuffix("*")
            let sourcePrefix = wildcard ? String(parts[0].dropLast()) : parts[0]
            let targetPrefix = wildcard ? String(parts[1].dropLast()) : parts[1]
            var remoteRefs = try source.references(under: sourcePrefix)
            if !wildcard { remoteRefs = remoteRefs.filter { $0.key == sourcePrefix } }
            let existing = wildcard ? try references(under: targetPrefix) : (referenceTarget(targetPrefix).map { [targetPrefix: $0] } ?? [:])
            var wanted = Set<String>()
            for (name, id) in remoteRefs {
                let target = wildcard ? targetPrefix + name.dropFirst(sourcePrefix.count) : targetPrefix
                wanted.insert(target)
                if existing[target] == id { continue }
                copied += try source.copyObjectsCounting(reachableFrom: id, into: self)
                var oid = id.raw
                var out: OpaquePointer?
                try gitCall("update tracking ref", target) { withPointer { git_reference_create(&out, $0, target, &oid, 1, "ppds fetch") } }
                if let out { git_reference_free(out) }
            }
            if prune {
                for (name, id) in existing where !wanted.contains(name) { try? deleteReference(name, expecting: id) }
            }
        }
        return FetchStats(receivedObjects: copied, receivedBytes: 0)
    }

    private func pushLocally(to path: String, _ updates: [RemoteRefUpdate]) throws(GitError) -> [String: RemoteRefOutcome] {
        let target: Repository
        do {
            target = try Repository.open(at: path)
        } catch {
            throw GitError(error.kind, "push", path, code: error.code, message: "cannot open the remote: \(error.message)")
        }
        var outcomes: [String: RemoteRefOutcome] = [:]
        for update in updates {
            do throws(GitError) {
                if let new = update.new { try copyObjects(reachableFrom: new, into: target) }
                // Another machine holding the ref's lock writes for a moment only: wait it out
                // (up to about a second), then compare-and-swap against what it left.
                var attempt = 0
                while true {
                    do throws(GitError) {
                        try target.serializingRefWrites { () throws(GitError) in
                            if let new = update.new {
                                try target.updateReference(update.name, to: new, expecting: update.expected, message: "ppds sync")
                            } else if let expected = update.expected {
                                try target.deleteReference(update.name, expecting: expected)
                            }
                        }
                        break
                    } catch where error.kind == .locked || (error.code == GIT_ELOCKED.rawValue) || error.rawMessage.contains("failed to lock") {
                        attempt += 1
                        if attempt > 100 { throw error }
                        usleep(UInt32.random(in: 2_000...12_000))
                    }
                }
                outcomes[update.name] = .updated
            } catch where error.kind == .moved {
                outcomes[update.name] = .moved(error.message)
            } catch where error.kind == .libgit2 && (error.rawMessage.contains("ermission") || error.rawMessage.contains("read-only")) {
                outcomes[update.name] = .refused(error.message)
            }
        }
        return outcomes
    }

    /// Runs `body` holding an flock on this repository's `refs` folder. libgit2 1.5.1 checks that
    /// a ref does not exist *before* it takes the ref's lock, so two create-only writes (two
    /// machines claiming one issue through a local remote) could both succeed; every ppds write
    /// to a local remote's refs takes this lock, which makes the check and the write one step.
    func serializingRefWrites<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
        var result: Result<T, GitError>?
        do {
            try FileLock.withLock(commonDir + "/refs", folder: true) {
                do throws(GitError) { result = .success(try body()) } catch { result = .failure(error) }
            }
        } catch {
            throw GitError(.libgit2, "lock refs", commonDir, message: "cannot lock the refs folder: \(error)")
        }
        return try result!.get()
    }

    /// Copies the commits, trees and blobs reachable from `tip` that `target` lacks.
    func copyObjects(reachableFrom tip: ObjectID, into target: Repository) throws(GitError) {
        _ = try copyObjectsCounting(reachableFrom: tip, into: target)
    }

    /// The same, returning how many objects were copied.
    func copyObjectsCounting(reachableFrom tip: ObjectID, into target: Repository) throws(GitError) -> Int {
        var copied = 0
        let source = try Handle.make("open odb", "source", release: { git_odb_free($0) }) { out in withPointer { git_repository_odb(&out, $0) } }
        let destination = try Handle.make("open odb", "remote", release: { git_odb_free($0) }) { out in target.withPointer { git_repository_odb(&out, $0) } }
        var pending = [tip]
        var seen = Set<ObjectID>()
        while let id = pending.popLast() {
            guard seen.insert(id).inserted else { continue }
            var oid = id.raw
            if destination.withPointer({ git_odb_exists($0, &oid) }) == 1 { continue }
            let object = try Handle.make("read object", id.hex, release: { git_odb_object_free($0) }) { out in source.withPointer { git_odb_read(&out, $0, &oid) } }
            let type = object.withPointer { git_odb_object_type($0) }
            var written = git_oid()
            try gitCall("copy object", id.hex) {
                object.withPointer { objectPointer in
                    destination.withPointer { git_odb_write(&written, $0, git_odb_object_data(objectPointer), git_odb_object_size(objectPointer), type) }
                }
            }
            copied += 1
            if type == GIT_OBJECT_COMMIT {
                let commit = try lookupCommit(id)
                commit.withPointer { commitPointer in
                    pending.append(ObjectID(git_commit_tree_id(commitPointer).pointee))
                    for index in 0..<git_commit_parentcount(commitPointer) {
                        if let parent = git_commit_parent_id(commitPointer, index) { pending.append(ObjectID(parent.pointee)) }
                    }
                }
            } else if type == GIT_OBJECT_TREE {
                let tree = try Handle.make("read tree", id.hex, release: { git_tree_free($0) }) { out in withPointer { git_tree_lookup(&out, $0, &oid) } }
                tree.withPointer { treePointer in
                    for index in 0..<git_tree_entrycount(treePointer) {
                        guard let entry = git_tree_entry_byindex(treePointer, index), git_tree_entry_type(entry) != GIT_OBJECT_COMMIT else { continue }
                        pending.append(ObjectID(git_tree_entry_id(entry).pointee))
                    }
                }
            }
        }
        return copied
    }
}

/// Runs `body` with `strings` as a `git_strarray` (valid only during the call).
func withStrArray<T, E: Error>(_ strings: [String], _ body: (inout git_strarray) throws(E) -> T) throws(E) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    let result: Result<T, E> = pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        do throws(E) { return .success(try body(&array)) } catch { return .failure(error) }
    }
    return try result.get()
}
