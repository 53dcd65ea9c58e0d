#if canImport(Glibc)
import Glibc
#endif

/// The `FileManager` calls the front's path makes, as the system calls they are: making
/// `FileManager.default` and its locks costs more than the calls (answers are the same:
/// `stat` follows links as `fileExists` does; names come without `.` and `..`, unsorted).
public enum PlainFileCalls {
    /// `FileManager.default.fileExists(atPath:)`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// A regular file (links followed).
    public static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// `fileExists(atPath:isDirectory:)` with `isDirectory` true.
    public static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `FileManager.default.currentDirectoryPath` ("" when the folder cannot be named).
    public static func currentFolder() -> String {
        guard let path = getcwd(nil, 0) else { return "" }
        defer { free(path) }
        return String(cString: path)
    }

    /// Whether the current folder's path is UTF-8. One that is not reads (here and in
    /// `FileManager`) with U+FFFD in place of its bad bytes, which can name another folder: a
    /// lookalike in another repository. Callers refuse to act from such a folder.
    public static func currentFolderIsUTF8() -> Bool {
        guard let path = getcwd(nil, 0) else { return true }
        defer { free(path) }
        return String(validatingCString: path) != nil
    }

    /// `contentsOfDirectory(atPath:)`, or nil when the folder cannot be read.
    public static func names(in folder: String) -> [String]? {
        guard let stream = opendir(folder) else { return nil }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
