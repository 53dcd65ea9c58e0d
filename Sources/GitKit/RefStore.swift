import CGit2
import Foundation
import Support

/// Commits and refs that live beside the branches (`refs/ppds/...`): written with the object
/// database and the refdb only, so they never touch HEAD, the index or a worktree.
extension Repository {
    /// Every direct ref whose name starts with `prefix` (e.g. `refs/ppds/sessions/`), by name.
    public func references(under prefix: String) throws(GitError) -> [String: ObjectID] {
        var iterator: OpaquePointer?
        try gitCall("list refs", prefix) { withPointer { git_reference_iterator_glob_new(&iterator, $0, prefix + "*") } }
        defer { git_reference_iterator_free(iterator) }
        var out: [String: ObjectID] = [:]
        while true {
            var ref: OpaquePointer?
            let code = git_reference_next(&ref, iterator)
            if code == GIT_ITEROVER.rawValue { git_error_clear(); break }
            if code < 0 { throw GitError.last(code, "list refs", prefix) }
            guard let ref else { continue }
            defer { git_reference_free(ref) }
            guard git_reference_type(ref) == GIT_REFERENCE_DIRECT, let target = git_reference_target(ref) else { continue }
            out[String(cString: git_reference_name(ref))] = ObjectID(target.pointee)
        }
        return out
    }

    /// The commit a direct ref names, or nil when there is no such ref.
    public func referenceTarget(_ name: String) -> ObjectID? {
        var oid = git_oid()
        guard withPointer({ git_reference_name_to_id(&oid, $0, name) }) == 0 else { git_error_clear(); return nil }
        return ObjectID(oid)
    }

    /// Points `name` at `target` only if it still points at `expected` (nil: only if it does not
    /// exist): a compare-and-swap under libgit2's ref lock. A lost race is a `.moved` error.
    public func updateReference(_ name: String, to target: ObjectID, expecting expected: ObjectID?, message: String) throws(GitError) {
        var new = target.raw
        var out: OpaquePointer?
        git_error_clear()
        let code: Int32
        if var old = expected?.raw {
            code = withPointer { git_reference_create_matching(&out, $0, name, &new, 1, &old, message) }
        } else {
            code = withPointer { git_reference_create(&out, $0, name, &new, 0, message) }
        }
        if let out { git_reference_free(out) }
        guard code < 0 else { return }
        let error = GitError.last(code, "update ref", name)
        if code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue {
            throw GitError(.moved, "update ref", name, code: code, message: "it moved meanwhile (\(error.message))")
        }
        throw error
    }

    /// Deletes `name` only if it still points at `expected`; nothing when it is already gone.
    public func deleteReference(_ name: String, expecting expected: ObjectID) throws(GitError) {
        var out: OpaquePointer?
        git_error_clear()
        let code = withPointer { git_reference_lookup(&out, $0, name) }
        if code == GIT_ENOTFOUND.rawValue { git_error_clear(); return }
        if code < 0 { throw GitError.last(code, "delete ref", name) }
        let ref = Handle(out!, release: { git_reference_free($0) })
        guard ref.withPointer({ git_reference_target($0).map { ObjectID($0.pointee) } }) == expected else {
            throw GitError(.moved, "delete ref", name, message: "it no longer points at \(expected.short)")
        }
        // git_reference_delete compares against the target it loaded, under the ref lock.
        try gitCall("delete ref", name) { ref.withPointer { git_reference_delete($0) } }
    }

    /// Writes a commit whose root tree holds `files` (name → bytes, no folders) with `parents`,
    /// without moving any ref. Returns its id.
    public func writeCommit(files: [String: Data], parents: [ObjectID], message: String,
                            author: (name: String, email: String), time: Date) throws(GitError) -> ObjectID {
        let builder = try Handle.make("build tree", "registry", release: { git_treebuilder_free($0) }) {
            out in withPointer { git_treebuilder_new(&out, $0, nil) }
        }
        for name in files.keys.sorted() {
            var blob = git_oid()
            let data = files[name]!
            try gitCall("write blob", name) {
                withPointer { repo in data.withUnsafeBytes { git_blob_create_from_buffer(&blob, repo, $0.baseAddress, data.count) } }
            }
            try gitCall("build tree", name) { builder.withPointer { git_treebuilder_insert(nil, $0, name, &blob, GIT_FILEMODE_BLOB) } }
        }
        var treeID = git_oid()
        try gitCall("write tree", "registry") { builder.withPointer { git_treebuilder_write(&treeID, $0) } }
        let tree = try Handle.make("look up tree", "registry", release: { git_tree_free($0) }) { out in withPointer { git_tree_lookup(&out, $0, &treeID) } }
        let parentHandles = try parents.map { (id: ObjectID) throws(GitError) -> Handle in try lookupCommit(id) }
        var signature: UnsafeMutablePointer<git_signature>?
        try gitCall("signature", author.name) {
            git_signature_new(&signature, Self.signaturePart(author.name), Self.signaturePart(author.email),
                              git_time_t(time.timeIntervalSince1970.rounded(.down)), 0)
        }
        defer { git_signature_free(signature) }
        var commit = git_oid()
        // The parent handles stay alive while libgit2 reads their pointers (Swift may release a
        // handle right after its last use); each pointer is read inside its own withPointer.
        try withExtendedLifetime(parentHandles) { () throws(GitError) in
            var parentPointers: [OpaquePointer?] = parentHandles.map { $0.withPointer { $0 } }
            try gitCall("write commit", "registry") {
                withPointer { repo in
                    tree.withPointer { treePointer in
                        parentPointers.withUnsafeMutableBufferPointer { buffer in
                            git_commit_create(&commit, repo, nil, signature, signature, "UTF-8", message,
                                              treePointer, buffer.count, buffer.baseAddress)
                        }
                    }
                }
            }
        }
        return ObjectID(commit)
    }

    /// A name or e-mail as a commit's author line can hold: no `<`, `>` or control characters
    /// (a host name or machine label with a newline made a commit that no one can read back,
    /// leaving the session's ref stuck on it), never empty.
    static func signaturePart(_ text: String) -> String {
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            scalar != "<" && scalar != ">" && !(scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value))
        })).trimmingCharacters(in: .whitespaces)
        return kept.isEmpty ? "ppds" : kept
    }

    /// The files of a commit's root tree (blobs only), name → bytes.
    public func files(ofCommit id: ObjectID, maxBlobSize: Int = 16 << 20) throws(GitError) -> [String: Data] {
        let commit = try lookupCommit(id)
        let tree = try Handle.make("read tree", id.hex, release: { git_tree_free($0) }) { out in commit.withPointer { git_commit_tree(&out, $0) } }
        var out: [String: Data] = [:]
        var odb: OpaquePointer?
        _ = try gitCall("open object database", id.short) { withPointer { git_repository_odb(&odb, $0) } }
        defer { git_odb_free(odb) }
        // Tree entries and blob contents are pointers into their objects: kept alive while read.
        try tree.withPointer { treePointer throws(GitError) in
            for index in 0..<git_tree_entrycount(treePointer) {
                guard let entry = git_tree_entry_byindex(treePointer, index), git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { continue }
                let name = String(cString: git_tree_entry_name(entry))
                // A commit from a remote is anyone's: its size is read from the header before
                // the blob is inflated into memory (a hand-made 3 GB blob would exhaust it).
                var size = 0, type = GIT_OBJECT_INVALID
                _ = try gitCall("read blob header", name) { git_odb_read_header(&size, &type, odb, git_tree_entry_id(entry)) }
                if size > maxBlobSize {
                    throw GitError(.libgit2, "read blob", name, code: -1, message: "\(name) in commit \(id.short) is \(size) bytes (at most \(maxBlobSize))")
                }
                let blob = try Handle.make("read blob", name, release: { git_blob_free($0) }) { out in withPointer { git_blob_lookup(&out, $0, git_tree_entry_id(entry)) } }
                blob.withPointer { blobPointer in
                    let size = Int(git_blob_rawsize(blobPointer))
                    out[name] = size == 0 ? Data() : Data(bytes: git_blob_rawcontent(blobPointer), count: size)
                }
            }
        }
        return out
    }

    /// The author's time of a commit.
    public func commitDate(_ id: ObjectID) throws(GitError) -> Date {
        let commit = try lookupCommit(id)
        return Date(timeIntervalSince1970: TimeInterval(commit.withPointer { git_commit_time($0) }))
    }

    /// Whether `ancestor` is `tip` or one of its ancestors.
    public func isAncestor(_ ancestor: ObjectID, of tip: ObjectID) throws(GitError) -> Bool {
        if ancestor == tip { return true }
        var a = ancestor.raw, b = tip.raw
        return try gitCall("ancestry", tip.short) { withPointer { git_graph_descendant_of($0, &b, &a) } } == 1
    }

    /// Whether the object database has `id`.
    public func hasObject(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard withPointer({ git_repository_odb(&odb, $0) }) == 0, let odb else { git_error_clear(); return false }
        defer { git_odb_free(odb) }
        var oid = id.raw
        return git_odb_exists(odb, &oid) == 1
    }
}

extension Repository {
    /// Moves loose refs into `packed-refs` (as `git pack-refs --all`, which `git gc` runs): one
    /// file to read instead of one per ref. libgit2 deletes a loose ref only if it still holds
    /// the value it packed.
    public func packReferences() throws(GitError) {
        let refdb = try Handle.make("open refdb", commonDir, release: { git_refdb_free($0) }) { out in withPointer { git_repository_refdb(&out, $0) } }
        try gitCall("pack refs", commonDir) { refdb.withPointer { git_refdb_compress($0) } }
    }

    /// How many loose ref files are under `refs/<folder>` (counted, not read).
    public func looseReferenceCount(under folder: String) -> Int {
        var count = 0
        var pending = [commonDir + "/" + folder]
        while let path = pending.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            for name in names {
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isFolder), isFolder.boolValue {
                    pending.append(path + "/" + name)
                } else {
                    count += 1
                }
            }
        }
        return count
    }
}
