import CGit2
import Foundation
#if canImport(Glibc)
import Glibc
import Support
#endif

/// A file of a tree, as a new worktree needs it.
struct TreeFile: Sendable {
    let path: String
    let id: ObjectID
    /// 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (submodule).
    let mode: UInt32
}

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

/// Populates a brand-new, empty worktree folder directly: blobs are read and written on
/// several threads (each with its own repository handle) and the index is built from what
/// was written. libgit2's checkout is single-threaded and, per file, resolves the full path
/// with realpath() (about 12 readlink calls) and looks each object up twice; none of that is
/// needed for an empty folder. Used only when no filter can apply (no .gitattributes anywhere,
/// no core.autocrlf, no global attributes file); otherwise libgit2's checkout runs.
enum DirectCheckout {
    /// The files of `commit`'s tree, or nil when content filters could apply.
    static func plan(_ repository: Repository, commit: ObjectID) throws(GitError) -> [TreeFile]? {
        guard filtersCannotApply(repository) else { return nil }
        let tree = try Handle.make("read tree", commit.hex, release: { git_tree_free($0) }) {
            let commitHandle = try? repository.lookupCommit(commit)
            guard let commitHandle else { return -1 }
            return git_commit_tree(&$0, commitHandle.pointer)
        }
        let collector = TreeCollector()
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        try gitCall("read tree", commit.hex) {
            git_tree_walk(tree.pointer, GIT_TREEWALK_PRE, { root, entry, payload in
                let collector = Unmanaged<TreeCollector>.fromOpaque(payload!).takeUnretainedValue()
                let type = git_tree_entry_type(entry)
                guard type == GIT_OBJECT_BLOB || type == GIT_OBJECT_COMMIT else { return 0 }
                let name = String(cString: git_tree_entry_name(entry))
                let path = String(cString: root!) + name
                if name == ".gitattributes" { collector.hasAttributes = true }
                collector.files.append(TreeFile(path: path, id: ObjectID(git_tree_entry_id(entry).pointee),
                                                mode: git_tree_entry_filemode(entry).rawValue))
                return 0
            }, payload)
        }
        return collector.hasAttributes ? nil : collector.files
    }

    private final class TreeCollector {
        var files: [TreeFile] = []
        var hasAttributes = false
    }

    /// No attribute source and no config that would make checkout rewrite content.
    static func filtersCannotApply(_ repository: Repository) -> Bool {
        if FileManager.default.fileExists(atPath: repository.commonDir + "/info/attributes") { return false }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let xdg = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"] ?? home + "/.config"
        if FileManager.default.fileExists(atPath: xdg + "/git/attributes") { return false }
        guard let config = try? Handle.make("read config", repository.commonDir, release: { git_config_free($0) }, {
            git_repository_config_snapshot(&$0, repository.pointer)
        }) else { return false }
        for key in ["core.autocrlf", "core.eol", "core.attributesfile", "core.symlinks"] {
            var value: UnsafePointer<CChar>?
            if git_config_get_string(&value, config.pointer, key) == 0, let value {
                let text = String(cString: value).lowercased()
                // core.symlinks=true and autocrlf=false are the defaults we handle.
                if key == "core.autocrlf" && (text == "false") { continue }
                if key == "core.symlinks" && (text == "true") { continue }
                git_error_clear()
                return false
            }
            git_error_clear()
        }
        return true
    }

    /// Writes every file under `folder` (which exists and is empty but for `.git`), then the
    /// worktree's index.
    static func populate(_ files: [TreeFile], into folder: String, commonDir: String, jobs: Int) throws(GitError) {
        var folders = Set<String>()
        // Tree paths are relative with '/' separators; Foundation's path helpers are avoided
        // here (one of them traps on some inputs in this toolchain).
        func parentOf(_ path: Substring) -> Substring {
            guard let slash = path.lastIndex(of: "/") else { return "" }
            return path[..<slash]
        }
        for file in files {
            var parent = parentOf(Substring(file.path))
            while !parent.isEmpty && folders.insert(String(parent)).inserted {
                parent = parentOf(parent)
            }
        }
        for relative in folders.sorted(by: { $0.count < $1.count }) {
            guard mkdir(folder + "/" + relative, 0o777) == 0 || errno == EEXIST else {
                throw GitError(.precondition, "write worktree", folder + "/" + relative, message: String(cString: strerror(errno)))
            }
        }
        // Chunks keep each thread's writes inside a few folders.
        let chunkSize = max(64, files.count / max(1, jobs * 8))
        let chunks = stride(from: 0, to: files.count, by: chunkSize).map { Array(files[$0..<min($0 + chunkSize, files.count)]) }
        let written = parallelMap(chunks, jobs: jobs, context: { try? Repository.open(at: commonDir) }) { repository, chunk in
            guard let repository else {
                return Result<[WrittenFile], GitError>.failure(GitError(.precondition, "write worktree", commonDir, message: "cannot open the repository"))
            }
            do {
                var out: [WrittenFile] = []
                out.reserveCapacity(chunk.count)
                for file in chunk { out.append(try write(file, into: folder, repository: repository)) }
                return .success(out)
            } catch {
                return .failure(error as? GitError ?? GitError(.precondition, "write worktree", folder, message: "\(error)"))
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

    private static func write(_ file: TreeFile, into folder: String, repository: Repository) throws(GitError) -> WrittenFile {
        let path = folder + "/" + file.path
        var info = stat()
        if file.mode == 0o160000 {
            guard mkdir(path, 0o777) == 0 || errno == EEXIST else {
                throw GitError(.precondition, "write worktree", path, message: String(cString: strerror(errno)))
            }
            return WrittenFile(ctime: timespec(), mtime: timespec(), dev: 0, ino: 0, uid: 0, gid: 0, size: 0)
        }
        var oid = file.id.raw
        let blob = try Handle.make("read blob", file.path, release: { git_blob_free($0) }) {
            git_blob_lookup(&$0, repository.pointer, &oid)
        }
        let size = Int(git_blob_rawsize(blob.pointer))
        let bytes = git_blob_rawcontent(blob.pointer)
        if file.mode == 0o120000 {
            let target = String(decoding: UnsafeRawBufferPointer(start: bytes, count: size), as: UTF8.self)
            guard symlink(target, path) == 0, lstat(path, &info) == 0 else {
                throw GitError(.precondition, "write worktree", path, message: String(cString: strerror(errno)))
            }
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file.mode == 0o100755 ? 0o777 : 0o666)
            guard fd >= 0 else { throw GitError(.precondition, "write worktree", path, message: String(cString: strerror(errno))) }
            defer { close(fd) }
            var offset = 0
            while offset < size {
                let count = Glibc.write(fd, bytes! + offset, size - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw GitError(.precondition, "write worktree", path, message: String(cString: strerror(errno)))
                }
                offset += count
            }
            guard fstat(fd, &info) == 0 else { throw GitError(.precondition, "write worktree", path, message: String(cString: strerror(errno))) }
        }
        return WrittenFile(ctime: info.st_ctim, mtime: info.st_mtim, dev: UInt64(info.st_dev), ino: UInt64(info.st_ino),
                           uid: info.st_uid, gid: info.st_gid, size: Int64(info.st_size))
    }

    /// The index, with each entry's stat data from what was written, so the first `git status`
    /// need not hash every file.
    private static func writeIndex(_ files: [TreeFile], _ stats: [WrittenFile], worktree: String) throws(GitError) {
        let repository = try Repository.open(at: worktree)
        let index = try Handle.make("open index", worktree, release: { git_index_free($0) }) {
            git_repository_index(&$0, repository.pointer)
        }
        try gitCall("write index", worktree) { git_index_clear(index.pointer) }
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
            let code = file.path.withCString { path -> Int32 in
                entry.path = path
                return git_index_add(index.pointer, &entry)
            }
            if code < 0 { throw GitError.last(code, "write index", file.path) }
        }
        try gitCall("write index", worktree) { git_index_write(index.pointer) }
    }
}
