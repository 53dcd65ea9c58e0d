#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// The main worktree of the repository around a folder, found without libgit2, for the front.
///
/// It answers only where the answer is certainly the one the full program's libgit2 discovery
/// gives (`git_repository_open_ext` without flags, then the common dir's owner): a folder inside
/// a main worktree whose `.git` is a folder, or inside a linked worktree whose `.git` file leads
/// to `<main>/.git/worktrees/<name>`, all owned by this user, on one file system, with a
/// repository config that sets neither `core.bare`, `core.worktree`, an include nor an extension.
/// Everything else (a submodule, `--separate-git-dir`, a bare repository, `GIT_DIR`, a mount
/// point on the way up, no repository at all, an odd file) is `.undecided`, and the front hands
/// the command to the full program, which answers it as before. `GitDiscoveryTests` compare
/// both, and `git rev-parse`, over a table of layouts.
public enum GitDiscovery {
    public enum Outcome: Equatable, Sendable {
        /// The main worktree's folder (not yet canonical: `Workspace.locate` makes it so).
        case mainWorktree(String)
        /// Not judged here; the reason is for tests and `--verbose` readers.
        case undecided(String)
    }

    /// Environment variables that change where git looks; libgit2's discovery (without
    /// `GIT_REPOSITORY_OPEN_FROM_ENV`) ignores them, but a front that guessed would be wrong
    /// twice, so the full program answers.
    static let steeringVariables = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
                                    "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS"]

    /// Variables that name config files git or libgit2 may read.
    static let configVariables = ["HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"]

    public static func find(from start: String, environment: [String: String]? = nil) -> Outcome {
        // Only the variables read here (building the whole environment costs more than a front's work).
        let environment = environment ?? Dictionary(uniqueKeysWithValues: (steeringVariables + configVariables).compactMap { name in
            Environment.value(name).map { (name, $0) }
        })
        if let name = steeringVariables.first(where: { environment[$0] != nil }) { return .undecided("\(name) is set") }
        guard let here = realPath(start) else { return .undecided("\(start) cannot be resolved") }
        guard let device = status(here)?.st_dev else { return .undecided("\(here) cannot be read") }
        var folder = here
        while true {
            guard let info = status(folder), info.st_dev == device else {
                return .undecided("the search up from \(here) reaches another file system at \(folder)")
            }
            if isGitFolder(folder) { return .undecided("\(folder) is a git folder itself") }
            let dotGit = folder == "/" ? "/.git" : folder + "/.git"
            var entry = stat()
            if lstat(dotGit, &entry) == 0 {
                // libgit2 stops at a `.git` on another file system too (a mounted `.git`).
                guard entry.st_dev == device else { return .undecided("\(dotGit) is on another file system") }
                return main(worktree: folder, dotGit: dotGit, entry: entry, environment: environment)
            }
            guard errno == ENOENT else { return .undecided("\(dotGit): \(String(cString: strerror(errno)))") }
            if folder == "/" { return .undecided("no repository above \(here)") }
            folder = folder.parentPath
        }
    }

    /// The main worktree for a worktree folder with a `.git` entry.
    static func main(worktree: String, dotGit: String, entry: stat, environment: [String: String]) -> Outcome {
        let common: String
        var gitDir = dotGit
        switch entry.st_mode & S_IFMT {
        case S_IFDIR:
            guard isGitFolder(dotGit), !PlainFileCalls.exists(dotGit + "/commondir") else { return .undecided("\(dotGit) is not a plain git folder") }
            common = dotGit
        case S_IFREG:
            // A linked worktree: `gitdir: <path>` (relative to the worktree), whose `commondir`
            // leads to the main repository's `.git`.
            guard let link = onlyLine(dotGit), link.hasPrefix("gitdir: ") else { return .undecided("\(dotGit) is not a gitdir file") }
            let target = String(link.dropFirst("gitdir: ".count))
            guard let start = target.unicodeScalars.first, !isBlank(start), let linked = realPath(Workspace.absolute(target, from: worktree)),
                  PlainFileCalls.isFile(linked + "/HEAD"),
                  // libgit2 takes the folder the admin's gitdir names as the worktree (and checks
                  // its owner): it must be this one.
                  let recorded = onlyLine(linked + "/gitdir"), realPath(Workspace.absolute(recorded, from: linked).parentPath) == worktree,
                  let shared = onlyLine(linked + "/commondir"), !shared.isEmpty,
                  let resolved = realPath(Workspace.absolute(shared, from: linked)) else {
                return .undecided("\(dotGit) does not lead to a linked worktree's git folder")
            }
            guard resolved.lastPathPart == ".git", isGitFolder(resolved), linked.parentPath == resolved + "/worktrees" else {
                return .undecided("\(dotGit) leads to \(resolved), not a main worktree's .git")
            }
            gitDir = linked
            common = resolved
        default:
            return .undecided("\(dotGit) is neither a folder nor a file")
        }
        let uid = geteuid()
        for place in [worktree, dotGit, gitDir, common] where status(place)?.st_uid != uid {
            return .undecided("\(place) is not owned by this user (libgit2 checks ownership)")
        }
        if let setting = workdirSetting(common: common, environment: environment) { return .undecided(setting) }
        return .mainWorktree(common.parentPath)
    }

    /// A config setting that could move the main worktree or make the repository bare, or
    /// pull in other files: the repository's own config and every global and system file git
    /// or libgit2 may read (more than either reads, so a setting in any of them is seen).
    static func workdirSetting(common: String, environment: [String: String]) -> String? {
        var files = [common + "/config", common + "/config.worktree", "/etc/gitconfig"]
        if let home = environment["HOME"], !home.isEmpty { files += [home + "/.gitconfig", home + "/.config/git/config"] }
        // An empty XDG_CONFIG_HOME makes libgit2 read `git/config` from the current folder.
        if environment["XDG_CONFIG_HOME"] == "" { return "XDG_CONFIG_HOME is empty" }
        for name in configVariables where name != "HOME" {
            guard let value = environment[name], !value.isEmpty else { continue }
            files.append(name == "XDG_CONFIG_HOME" ? value + "/git/config" : value)
        }
        for file in files {
            guard let text = contents(file) else {
                if PlainFileCalls.exists(file) { return "\(file) cannot be read" }
                continue
            }
            if let concern = GitConfigScan.concern(in: text) {
                return "\(file): \(concern)"
            }
        }
        return nil
    }

    /// libgit2's test for a git folder: `HEAD`, `objects/` and `refs/` (or a `commondir`).
    static func isGitFolder(_ folder: String) -> Bool {
        PlainFileCalls.isFile(folder + "/HEAD") && (PlainFileCalls.isFolder(folder + "/objects") && PlainFileCalls.isFolder(folder + "/refs") || PlainFileCalls.exists(folder + "/commondir"))
    }

    static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        // A path that is not UTF-8 would read with U+FFFD, which can name a lookalike folder.
        return String(validatingCString: resolved)
    }

    /// A small file's bytes (links followed, any owner: these are git's files, only read), or
    /// nil when it is absent, unreadable, not a regular file, or over 1 MiB.
    static func contents(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 1 << 20 else { return nil }
        var data = Data(count: Int(info.st_size) + 1)
        var total = 0
        while total < data.count {
            let count = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if count > 0 { total += count } else if count == 0 || errno != EINTR { break }
        }
        guard total <= info.st_size else { return nil }
        return data.prefix(total)
    }

    /// A small file's text as libgit2 reads a `.git` file or `commondir`: all of it, trailing
    /// white space removed; nil unless that is one line of valid UTF-8 without a backslash
    /// (libgit2 reads every line, and turns backslashes into slashes) or NUL.
    static func onlyLine(_ path: String) -> String? {
        guard let data = contents(path) else { return nil }
        // Bytes, not scalars: the blanks, line ends and backslash are ASCII, and bytes need no
        // run-time metadata (see `GitConfigScan.trimmingBlanks`).
        var bytes = [UInt8](data)
        while let last = bytes.last, isBlank(Unicode.Scalar(last)) { bytes.removeLast() }
        for byte in bytes where byte == 0 || byte == 0x0A || byte == 0x0D || byte == 0x5C { return nil }
        // Not UTF-8 (read as U+FFFD), or a U+FFFD itself: the full program's.
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        for scalar in text.unicodeScalars where scalar == "\u{FFFD}" { return nil }
        return text
    }

    /// libgit2's `git__isspace`.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D: return true
        default: return false
        }
    }
}
