#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Deletes a folder tree like `rm -rf --one-file-system`: it never follows a symlink and never
/// descends into another file system, so a volume mounted inside is never emptied. It works
/// through folder descriptors (`openat`, `unlinkat`), so a folder swapped for a symlink midway
/// is not followed, and names stay bytes. Anything it cannot remove stops it with an error,
/// leaving the rest in place.
public enum FolderRemoval {
    /// Removes `folder` and everything in it. `keepingLast` names one entry directly inside it
    /// that goes only after everything else (a worktree's `.git` file, which recovery needs
    /// to recognise a half-removed worktree).
    public static func remove(_ folder: String, keepingLast last: String? = nil) throws(FileSystemError) {
        var top = stat()
        guard lstat(folder, &top) == 0 else {
            if errno == ENOENT { return }
            throw failure(folder, "cannot read it")
        }
        guard top.st_mode & S_IFMT == S_IFDIR else {
            guard unlink(folder) == 0 else { throw failure(folder, "cannot delete it") }
            return
        }
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw failure(folder, "cannot open it") }
        defer { close(fd) }
        let lastName = last.map { Array($0.utf8CString) }
        try removeContents(of: fd, path: folder, device: top.st_dev, sparing: lastName)
        if let lastName {
            try removeEntry(lastName, in: fd, path: folder, device: top.st_dev)
        }
        guard rmdir(folder) == 0 else {
            throw failure(folder, errno == ENOTEMPTY || errno == EBUSY
                ? "it still holds something that was not removed (a file system mounted inside?)" : "cannot remove the folder")
        }
    }

    /// Removes every entry of the open folder `fd` except `sparing`.
    private static func removeContents(of fd: Int32, path: String, device: dev_t, sparing: [CChar]?) throws(FileSystemError) {
        for name in try entries(of: fd, path: path) where name != sparing {
            try removeEntry(name, in: fd, path: path, device: device)
        }
    }

    private static func removeEntry(_ name: [CChar], in fd: Int32, path: String, device: dev_t) throws(FileSystemError) {
        let display = path + "/" + String(decoding: name.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw failure(display, "cannot read it")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else { throw failure(display, "cannot delete it") }
            return
        }
        guard info.st_dev == device else { throw failure(display, "it is on another file system; not crossing into it") }
        let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw failure(display, "cannot open it") }
        do {
            try removeContents(of: child, path: display, device: device, sparing: nil)
        } catch {
            close(child)
            throw error
        }
        close(child)
        guard unlinkat(fd, name, AT_REMOVEDIR) == 0 else {
            throw failure(display, errno == EBUSY ? "it is a mount point" : "cannot remove the folder")
        }
    }

    /// The names in an open folder, as NUL-terminated bytes (no `.` or `..`).
    private static func entries(of fd: Int32, path: String) throws(FileSystemError) -> [[CChar]] {
        let copy = dup(fd)
        guard copy >= 0, let directory = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw failure(path, "cannot list it")
        }
        defer { closedir(directory) }
        var names: [[CChar]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [CChar] in
                let bytes = raw.bindMemory(to: CChar.self)
                let length = strnlen(bytes.baseAddress!, bytes.count)
                return Array(bytes.prefix(length)) + [0]
            }
            if name == [46, 0] || name == [46, 46, 0] { continue }
            names.append(name)
        }
        return names
    }

    static func failure(_ path: String, _ what: String) -> FileSystemError {
        FileSystemError(path: path, message: "\(what) (\(String(cString: strerror(errno))))")
    }
}
