import CGit2
import Foundation
import Support

extension Repository {
    /// Whether the folder holds nothing but (possibly partial) files of `commit`'s tree and
    /// copies of the same files from `copiesFrom`: what an interrupted add leaves. Every
    /// regular file must be a prefix of its blob (a write cut short) or equal to the file at
    /// the same path under `copiesFrom`; symlinks must match. Anything else is someone's work.
    public func folderHoldsOnlyCheckout(at folder: String, of commit: ObjectID, copiesFrom: String? = nil) -> Bool {
        guard let commitHandle = try? lookupCommit(commit),
              let tree = try? Handle.make("read tree", commit.hex, release: { git_tree_free($0) }, {
                  out in commitHandle.withPointer { git_commit_tree(&out, $0) }
              }) else { return false }
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return false }
        while let relative = walker.nextObject() as? String {
            if relative == ".git" { continue }
            let full = folder + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full),
                  let type = attributes[.type] as? FileAttributeType else { return false }
            if type == .typeDirectory { continue }
            if let blob = blobContent(tree: tree, path: relative) {
                if type == .typeSymbolicLink {
                    guard (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) == String(decoding: blob, as: UTF8.self) else { return false }
                    continue
                }
                guard type == .typeRegular, let data = FileManager.default.contents(atPath: full),
                      data.count <= blob.count, blob.prefix(data.count) == data else { return false }
                continue
            }
            guard type == .typeRegular, let copiesFrom,
                  let data = FileManager.default.contents(atPath: full),
                  FileManager.default.contents(atPath: copiesFrom + "/" + relative) == data else { return false }
        }
        return true
    }

    private func blobContent(tree: Handle, path: String) -> Data? {
        var out: OpaquePointer?
        guard tree.withPointer({ git_tree_entry_bypath(&out, $0, path) }) == 0, let out else { git_error_clear(); return nil }
        let entry = Handle(out, release: { git_tree_entry_free($0) })
        guard entry.withPointer({ git_tree_entry_type($0) }) == GIT_OBJECT_BLOB else { return nil }
        var oid = entry.withPointer { git_tree_entry_id($0).pointee }
        guard let blob = try? Handle.make("read blob", path, release: { git_blob_free($0) }, { out in withPointer { git_blob_lookup(&out, $0, &oid) } }) else { return nil }
        return blob.withPointer { Data(bytes: git_blob_rawcontent($0), count: Int(git_blob_rawsize($0))) }
    }
}
