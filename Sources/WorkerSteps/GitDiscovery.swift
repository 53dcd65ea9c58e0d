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
            guard isGitFolder(dotGit), !exists(dotGit + "/commondir") else { return .undecided("\(dotGit) is not a plain git folder") }
            common = dotGit
        case S_IFREG:
            // A linked worktree: `gitdir: <path>` (relative to the worktree), whose `commondir`
            // leads to the main repository's `.git`.
            guard let link = firstLine(dotGit), link.hasPrefix("gitdir: ") else { return .undecided("\(dotGit) is not a gitdir file") }
            let target = String(link.dropFirst("gitdir: ".count))
            guard !target.isEmpty, let linked = realPath(Workspace.absolute(target, from: worktree)),
                  exists(linked + "/HEAD"), exists(linked + "/gitdir"), let shared = firstLine(linked + "/commondir"), !shared.isEmpty,
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
        for place in [worktree, gitDir, common] where status(place)?.st_uid != uid {
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
        for name in configVariables where name != "HOME" {
            guard let value = environment[name], !value.isEmpty else { continue }
            files.append(name == "XDG_CONFIG_HOME" ? value + "/git/config" : value)
        }
        for file in files {
            guard let text = contents(file) else {
                if exists(file) { return "\(file) cannot be read" }
                continue
            }
            let repositoryOwn = file.hasPrefix(common + "/")
            for line in String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let words = line.trimmingWhitespace().lowercased()
                if words.hasPrefix("#") || words.hasPrefix(";") { continue }
                if words.hasPrefix("[include") || (repositoryOwn && words.hasPrefix("[extensions")) {
                    return "\(file) has \(words)"
                }
                // `key = value`, a key alone meaning true; a `bare = false` is what `git init` writes.
                let parts = words.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard let key = parts.first else { continue }
                if key == "worktree" || key.hasPrefix("worktree ") || key.hasPrefix("worktree\t") { return "\(file) sets \(words)" }
                if key == "bare" || key.hasPrefix("bare ") || key.hasPrefix("bare\t") {
                    let value = parts.count > 1 ? parts[1].split(separator: "#").first.map { $0.trimmingWhitespace() } ?? "" : "true"
                    if !["false", "no", "off", "0"].contains(value) { return "\(file) sets \(words)" }
                }
            }
        }
        return nil
    }

    /// libgit2's test for a git folder: `HEAD`, `objects/` and `refs/` (or a `commondir`).
    static func isGitFolder(_ folder: String) -> Bool {
        exists(folder + "/HEAD") && (isFolder(folder + "/objects") && isFolder(folder + "/refs") || exists(folder + "/commondir"))
    }

    static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func exists(_ path: String) -> Bool { status(path) != nil }

    static func isFolder(_ path: String) -> Bool { status(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
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

    /// The first line of a small file, without its line end and trailing spaces.
    static func firstLine(_ path: String) -> String? {
        guard let data = contents(path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var trimmed = line
        while let last = trimmed.unicodeScalars.last, last == " " || last == "\t" || last == "\r" { trimmed.unicodeScalars.removeLast() }
        return trimmed
    }
}
