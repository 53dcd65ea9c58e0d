import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Config
import GitKit
import SessionKit
import Support

/// Copies ignored files people need (`.env`, `.envrc`, …) from the main worktree into a new
/// one: the config's patterns, intersected with what git ignores. Never overwrites.
///
/// `copy` needs no trust, so it is confined: it reads only from the main worktree and writes
/// only inside the new one. Every path is walked one component at a time through folder
/// descriptors (`openat` with `O_NOFOLLOW`), so a symlink — committed, or made since — is
/// never followed out of either tree: a pattern does not match through a linked folder
/// (`leak -> ~/.ssh`, `leak/*`), and nothing is written through a linked folder of the new
/// worktree (`drop -> ~/.config/autostart`). A symlink that matches is copied as a link when it
/// points inside (relative, without `..`), else not at all.
enum CopyIgnored {
    static func copy(patterns: [String], from repoRoot: String, to worktree: String, repository: Repository) -> (copied: [String], warnings: [String]) {
        var copied: [String] = [], warnings: [String] = []
        guard !patterns.isEmpty else { return (copied, warnings) }
        let source = open(repoRoot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        let target = open(worktree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        defer {
            if source >= 0 { close(source) }
            if target >= 0 { close(target) }
        }
        guard source >= 0, target >= 0 else {
            return ([], ["copy skipped: cannot open \(source < 0 ? repoRoot : worktree) (\(String(cString: strerror(errno))))"])
        }
        for pattern in patterns {
            let parts = pattern.split(separator: "/").map(String.init).filter { $0 != "." }
            guard !pattern.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
                warnings.append("copy pattern '\(pattern)' must be relative to the repository, without '..'; skipped")
                continue
            }
            var notFollowed: [String] = []
            let matches = match(parts, index: 0, in: source, prefix: [], notFollowed: &notFollowed)
            for link in notFollowed {
                warnings.append("copy pattern '\(pattern)': \(link) is a symbolic link; ppds copies only from inside the main worktree and does not follow it")
            }
            for components in matches {
                let relative = components.joined(separator: "/")
                guard repository.isIgnored(relative) else { continue }
                switch place(components, from: source, to: target) {
                case .copied: copied.append(relative)
                case .exists: continue
                case .refused(let why): warnings.append("could not copy \(relative): \(why)")
                }
            }
        }
        return (copied, warnings)
    }

    static func hasGlob(_ part: String) -> Bool { part.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// The entries under the open folder `fd` that match `parts[index...]`, as component lists.
    /// Folders on the way must be real folders; a symlink there is reported, not followed.
    private static func match(_ parts: [String], index: Int, in fd: Int32, prefix: [String], notFollowed: inout [String]) -> [[String]] {
        let part = parts[index]
        let last = index == parts.count - 1
        var names: [String]
        if hasGlob(part) {
            names = entries(of: fd).filter { fnmatch(part, $0, FNM_PERIOD) == 0 }.sorted()
        } else {
            names = [part]
        }
        var out: [[String]] = []
        for name in names {
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if last {
                out.append(prefix + [name])
                continue
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                if info.st_mode & S_IFMT == S_IFLNK { notFollowed.append((prefix + [name]).joined(separator: "/")) }
                continue
            }
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { continue }
            out += match(parts, index: index + 1, in: child, prefix: prefix + [name], notFollowed: &notFollowed)
            close(child)
        }
        return out
    }

    enum Placed: Equatable { case copied, exists, refused(String) }

    /// Copies the entry at `components` from the source tree to the same place in the target
    /// tree, making the folders on the way; neither side's folders may be symlinks.
    private static func place(_ components: [String], from sourceRoot: Int32, to targetRoot: Int32) -> Placed {
        var source = dup(sourceRoot), target = dup(targetRoot)
        defer { close(source); close(target) }
        for (depth, name) in components.dropLast().enumerated() {
            let shown = components[...depth].joined(separator: "/")
            let nextSource = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard nextSource >= 0 else { return .refused("\(shown) in the main worktree is not a folder (a symbolic link?)") }
            close(source); source = nextSource
            var nextTarget = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if nextTarget < 0 && errno == ENOENT {
                var info = stat()
                let mode = fstat(source, &info) == 0 ? info.st_mode & 0o777 : 0o755
                guard mkdirat(target, name, mode) == 0 || errno == EEXIST else {
                    return .refused("cannot make \(shown) in the new worktree (\(String(cString: strerror(errno))))")
                }
                nextTarget = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard nextTarget >= 0 else {
                return .refused("\(shown) in the new worktree is a symbolic link or a file; ppds writes only inside the worktree and does not follow it")
            }
            close(target); target = nextTarget
        }
        return copyEntry(components.last!, from: source, to: target, shown: components.joined(separator: "/"))
    }

    /// Copies one entry between two open folders: a file's bytes and mode, a folder's tree, a
    /// symlink as a link. Never overwrites; never follows a link on either side.
    private static func copyEntry(_ name: String, from source: Int32, to target: Int32, shown: String) -> Placed {
        var info = stat(), existing = stat()
        guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return .refused("cannot read it (\(String(cString: strerror(errno))))") }
        if fstatat(target, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 { return .exists }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let input = openat(source, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard input >= 0 else { return .refused("cannot read it (\(String(cString: strerror(errno))))") }
            defer { close(input) }
            let mode = info.st_mode & 0o777
            let output = openat(target, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard output >= 0 else { return errno == EEXIST ? .exists : .refused("cannot write it (\(String(cString: strerror(errno))))") }
            defer { close(output) }
            fchmod(output, mode)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(input, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { return .refused("cannot read it (\(String(cString: strerror(errno))))") }
                if count == 0 { break }
                if let failure = FileDescriptor.writeAll(output, buffer, count) { return .refused("cannot write it (\(failure))") }
            }
            return .copied
        case S_IFLNK:
            var bytes = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlinkat(source, name, &bytes, bytes.count - 1)
            guard length >= 0 else { return .refused("cannot read the link (\(String(cString: strerror(errno))))") }
            bytes[length] = 0
            // A link is copied only when it stays inside the worktree: relative, no `..`.
            let destination = String(decoding: bytes[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard !destination.hasPrefix("/"), !destination.split(separator: "/").contains("..") else {
                return .refused("it is a symbolic link out of the worktree (to \(destination)); not copied")
            }
            guard symlinkat(bytes, target, name) == 0 else { return errno == EEXIST ? .exists : .refused("cannot make the link (\(String(cString: strerror(errno))))") }
            return .copied
        case S_IFDIR:
            guard mkdirat(target, name, info.st_mode & 0o777) == 0 else { return errno == EEXIST ? .exists : .refused("cannot make the folder (\(String(cString: strerror(errno))))") }
            let from = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let to = openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            defer {
                if from >= 0 { close(from) }
                if to >= 0 { close(to) }
            }
            guard from >= 0, to >= 0 else { return .refused("cannot open the folder (\(String(cString: strerror(errno))))") }
            for child in entries(of: from) {
                if case .refused(let why) = copyEntry(child, from: from, to: to, shown: shown + "/" + child) {
                    return .refused("\(shown)/\(child): \(why)")
                }
            }
            return .copied
        default:
            return .refused("it is not a file, folder or link")
        }
    }

    /// The names in an open folder (no `.` or `..`).
    private static func entries(of fd: Int32) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let directory = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }
}
