import CGit2
import Foundation
import Support

extension Repository {
    /// An id of a diff's exact change, for deciding that two commits make the same change.
    ///
    /// Unlike `git patch-id` (and libgit2's `git_diff_patchid`), it counts whitespace, and it
    /// compares a binary file by its old and new blob ids: the patch text of a binary change
    /// ("Binary files differ") is the same for any change to that path, so it proves nothing.
    /// Each hunk's place counts too (its first old line and both lengths): the same lines added
    /// with the same context in another place of the file (a second, identical section) are
    /// another change. A change rebased onto moved lines therefore does not match, and is kept
    /// as unmerged: a miss costs a `--force-delete`, a false match someone's work.
    /// Each file's paths and modes count.
    func verbatimPatchID(_ diff: Handle) throws(GitError) -> ObjectID? {
        // Deltas and patches point into the diff: keep it lent throughout.
        return try diff.withPointer { diff throws(GitError) -> ObjectID? in
            let count = git_diff_num_deltas(diff)
            if count == 0 { return nil }
            var bytes: [UInt8] = []
            func append(_ text: String) { bytes.append(contentsOf: Array(text.utf8)) }
            func appendPath(_ path: UnsafePointer<CChar>?) {
                if let path { bytes.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self), count: strlen(path))) }
                bytes.append(0)
            }
            for index in 0..<count {
                let patch = try Handle.make("compute patch", "delta \(index)", release: { git_patch_free($0) }) {
                    out in git_patch_from_diff(&out, diff, index)
                }
                // The delta's paths and each line's text point into the patch: read them while it is lent.
                try patch.withPointer { patch throws(GitError) in
                    guard let delta = git_patch_get_delta(patch)?.pointee else { return }
                    append("file\0")
                    appendPath(delta.old_file.path)
                    appendPath(delta.new_file.path)
                    append("\(delta.old_file.mode) \(delta.new_file.mode) \(delta.status.rawValue)\0")
                    let hunks = git_patch_num_hunks(patch)
                    let binary = delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0
                    if binary || hunks == 0 {
                        // No text to compare (binary, mode-only, or an empty file added): the blob ids are the change.
                        append("blobs \(ObjectID(delta.old_file.id).hex) \(ObjectID(delta.new_file.id).hex)\0")
                        return
                    }
                    for hunk in 0..<hunks {
                        var header: UnsafePointer<git_diff_hunk>?
                        var count = 0
                        try gitCall("read patch hunk", "delta \(index)") { git_patch_get_hunk(&header, &count, patch, hunk) }
                        guard let header = header?.pointee else { continue }
                        append("hunk \(header.old_start) \(header.old_lines) \(header.new_lines)\0")
                        let lines = git_patch_num_lines_in_hunk(patch, hunk)
                        guard lines > 0 else { continue }
                        for lineIndex in 0..<Int(lines) {
                            var line: UnsafePointer<git_diff_line>?
                            try gitCall("read patch line", "delta \(index)") { git_patch_get_line_in_hunk(&line, patch, hunk, lineIndex) }
                            guard let line = line?.pointee else { continue }
                            bytes.append(UInt8(bitPattern: line.origin))
                            if let content = line.content, line.content_len > 0 {
                                content.withMemoryRebound(to: UInt8.self, capacity: line.content_len) {
                                    bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: line.content_len))
                                }
                            }
                            bytes.append(0)
                        }
                    }
                }
            }
            var out = git_oid()
            try gitCall("hash patch", "\(count) files") {
                bytes.withUnsafeBytes { git_odb_hash(&out, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
            }
            return ObjectID(out)
        }
    }
}
