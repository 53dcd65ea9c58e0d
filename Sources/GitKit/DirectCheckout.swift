import CGit2
import Foundation
#if canImport(Glibc)
import Glibc
import Support
#endif

/// What `stat` said about a written file, for its index entry.
struct WrittenFile: Sendable {
    var ctime: timespec
    var mtime: timespec
    var dev: UInt64
    var ino: UInt64
    var uid: UInt32
    var gid: UInt32
    var size: Int64
}

/// Populates a brand-new, empty worktree folder directly: blobs are read, converted exactly as
/// git converts them on checkout (`ContentConversion`) and written on several threads (each with
/// its own repository handle), and the index is built from what was written. libgit2's checkout
/// is single-threaded and, per file, resolves the full path with realpath() (about 12 readlink
/// calls) and looks each object up twice; none of that is needed for an empty folder.
///
/// `CheckoutPlan` decides beforehand whether this writer can produce git's bytes; when it
/// cannot, the checkout is git's (see `ExternalCheckout`). Paths stay bytes from the tree to the
/// system calls and into the index.
enum DirectCheckout {
    /// Writes every file under `folder` (which exists and is empty but for `.git`), then the
    /// worktree's index.
    static func populate(_ files: [PlannedFile], symlinks: Bool, into folder: String, commonDir: String, jobs: Int) throws(GitError) {
        let root = Array(folder.utf8)
        var folders = Set<[UInt8]>()
        for file in files {
            var end = file.path.lastIndex(of: 0x2f)
            while let slash = end {
                guard folders.insert(Array(file.path[..<slash])).inserted else { break }
                end = file.path[..<slash].lastIndex(of: 0x2f)
            }
        }
        for relative in folders.sorted(by: { $0.count < $1.count }) {
            let path = fullPath(root, relative)
            guard mkdir(path, 0o777) == 0 || errno == EEXIST else {
                throw failure(relative, errno)
            }
        }
        let objects = Array((commonDir + "/objects").utf8)
        // Chunks keep each thread's writes inside a few folders.
        let chunkSize = max(64, files.count / max(1, jobs * 8))
        let chunks = stride(from: 0, to: files.count, by: chunkSize).map { Array(files[$0..<min($0 + chunkSize, files.count)]) }
        let written = parallelMap(chunks, jobs: jobs, context: { (try? Repository.open(at: commonDir), LooseObject()) }) { context, chunk in
            let (repository, reader) = context
            guard let repository else {
                return Result<[WrittenFile], GitError>.failure(GitError(.precondition, "write worktree", commonDir, message: "cannot open the repository"))
            }
            do throws(GitError) {
                var out: [WrittenFile] = []
                out.reserveCapacity(chunk.count)
                for file in chunk {
                    out.append(try write(file, root: root, symlinks: symlinks, objects: objects, repository: repository, reader: reader))
                }
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
        var stats: [WrittenFile] = []
        stats.reserveCapacity(files.count)
        for result in written {
            switch result {
            case .success(let part): stats += part
            case .failure(let error): throw error
            }
        }
        try writeIndex(files, stats, worktree: folder)
    }

    /// `root/relative` as a C string, from bytes.
    static func fullPath(_ root: [UInt8], _ relative: [UInt8]) -> [CChar] {
        var path = [CChar]()
        path.reserveCapacity(root.count + relative.count + 2)
        for byte in root { path.append(CChar(bitPattern: byte)) }
        path.append(0x2f)
        for byte in relative { path.append(CChar(bitPattern: byte)) }
        path.append(0)
        return path
    }

    static func failure(_ relative: [UInt8], _ code: Int32) -> GitError {
        GitError(.precondition, "write worktree", CheckoutPlan.display(relative), message: String(cString: strerror(code)))
    }

    private static func write(_ file: PlannedFile, root: [UInt8], symlinks: Bool, objects: [UInt8],
                              repository: Repository, reader: LooseObject) throws(GitError) -> WrittenFile {
        let path = fullPath(root, file.path)
        var info = stat()
        if file.mode == 0o160000 {
            // A submodule: an empty folder, as `git worktree add` leaves it.
            guard mkdir(path, 0o777) == 0 || errno == EEXIST else { throw failure(file.path, errno) }
            return WrittenFile(ctime: timespec(), mtime: timespec(), dev: 0, ino: 0, uid: 0, gid: 0, size: 0)
        }
        if file.mode == 0o120000 && symlinks {
            let blob = try readBlob(file, repository: repository)
            // The target as bytes; like git, a NUL in it ends it.
            let target = blob.withPointer { blob in
                let size = Int(git_blob_rawsize(blob))
                var target = [CChar](repeating: 0, count: size + 1)
                if size > 0 {
                    let content = UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size)
                    target.withUnsafeMutableBytes { $0.copyMemory(from: content) }
                }
                return target
            }
            guard symlink(target, path) == 0, lstat(path, &info) == 0 else { throw failure(file.path, errno) }
        } else {
            // With core.symlinks=false a link is a plain file holding its target, unconverted.
            let conversion = file.mode == 0o120000 ? Conversion.none : file.conversion
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file.mode == 0o100755 ? 0o777 : 0o666)
            guard fd >= 0 else { throw failure(file.path, errno) }
            defer { close(fd) }
            var sink = FileSink(fd: fd, buffer: reader.sinkBuffer)
            let blobHex = Array(file.id.hex.utf8)
            do {
                // git streams every conversion but its in-memory ones; so does this, from the
                // loose object when there is one.
                var streamed = false
                if !conversion.inCore {
                    var stream = ContentConversion.Streaming(conversion, blobHex: blobHex)
                    streamed = try reader.streamBlob(objects: objects, id: file.id) { chunk in try stream.feed(chunk, to: &sink) }
                    if streamed { try stream.finish(to: &sink) }
                }
                if !streamed, conversion.inCore, let content = try reader.readBlob(objects: objects, id: file.id) {
                    // git's in-memory path holds the whole blob too.
                    try content.withUnsafeBytes { try ContentConversion.write($0, conversion, blobHex: blobHex, to: &sink) }
                    streamed = true
                }
                if !streamed, let cached = InflatedBlobCache.shared.content(file.id) {
                    try cached.withUnsafeBytes { try ContentConversion.write($0, conversion, blobHex: blobHex, to: &sink) }
                    streamed = true
                }
                if !streamed {
                    let blob = try readBlob(file, repository: repository)
                    try blob.withPointer { blob in
                        let content = UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: Int(git_blob_rawsize(blob)))
                        InflatedBlobCache.shared.keep(file.id, content)
                        try ContentConversion.write(content, conversion, blobHex: blobHex, to: &sink)
                    }
                }
                try sink.flush()
            } catch let error as GitError {
                throw error
            } catch let error as ContentConversion.WriteFailure {
                throw failure(file.path, error.code)
            } catch {
                throw GitError(.precondition, "write worktree", file.display, message: "\(error)")
            }
            guard fstat(fd, &info) == 0 else { throw failure(file.path, errno) }
        }
        return WrittenFile(ctime: info.st_ctim, mtime: info.st_mtim, dev: UInt64(info.st_dev), ino: UInt64(info.st_ino),
                           uid: info.st_uid, gid: info.st_gid, size: Int64(info.st_size))
    }

    private static func readBlob(_ file: PlannedFile, repository: Repository) throws(GitError) -> Handle {
        var oid = file.id.raw
        return try Handle.make("read blob", file.display, release: { git_blob_free($0) }) {
            out in repository.withPointer { git_blob_lookup(&out, $0, &oid) }
        }
    }

    /// The index, with each entry's stat data from what was written, so the first `git status`
    /// need not hash every file.
    private static func writeIndex(_ files: [PlannedFile], _ stats: [WrittenFile], worktree: String) throws(GitError) {
        let repository = try Repository.open(at: worktree)
        // The index consults its repository (path checks, racy entries on write): keep it open.
        defer { withExtendedLifetime(repository) {} }
        let index = try Handle.make("open index", worktree, release: { git_index_free($0) }) {
            out in repository.withPointer { git_repository_index(&out, $0) }
        }
        try gitCall("write index", worktree) { index.withPointer { git_index_clear($0) } }
        for (file, stat) in zip(files, stats) {
            var entry = git_index_entry()
            entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: stat.ctime.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: stat.ctime.tv_nsec))
            entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: stat.mtime.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: stat.mtime.tv_nsec))
            entry.dev = UInt32(truncatingIfNeeded: stat.dev)
            entry.ino = UInt32(truncatingIfNeeded: stat.ino)
            entry.mode = file.mode
            entry.uid = stat.uid
            entry.gid = stat.gid
            entry.file_size = UInt32(truncatingIfNeeded: stat.size)
            entry.id = file.id.raw
            // In-memory only: tells libgit2 these entries match the files (as its checkout does),
            // so writing the index does not re-read all of them.
            entry.flags_extended = UInt16(GIT_INDEX_ENTRY_UPTODATE.rawValue)
            let path = file.path.map { CChar(bitPattern: $0) } + [0]
            let code = path.withUnsafeBufferPointer { buffer -> Int32 in
                entry.path = buffer.baseAddress
                return index.withPointer { git_index_add($0, &entry) }
            }
            if code < 0 { throw GitError.last(code, "write index", file.display) }
        }
        try gitCall("write index", worktree) { index.withPointer { git_index_write($0) } }
    }
}
