import Foundation
import Support

/// Settings from `$PPDS_HOME/config.toml` and the repository's `.ppds.toml` (which wins).
public struct Config: Sendable {
    public var base: String?
    public var branchTemplate = "{type}/{slug}"
    public var worktreeTemplate = "{parent}/{repo}-{slug}"
    public var defaultType: String?
    public var labelTypes: [String: String] = ["bug": "fix", "enhancement": "feat", "feature": "feat",
                                               "documentation": "docs", "chore": "chore"]
    public var copy: [String] = []
    public var postCreate: [CommandSpec] = []
    /// Run when a session becomes stuck / complete (`watch --notify`, `serve --notify`).
    public var onStuck: [CommandSpec] = []
    public var onComplete: [CommandSpec] = []
    public var spawn: CommandSpec?
    /// `[agents.NAME]`: the agents `ppds spawn --agent NAME` can start (see AgentConfig).
    public var agents: [String: AgentConfig] = [:]
    public var staleAfter: TimeInterval?
    /// The git remote that carries the session registry between machines (`registry.remote`);
    /// when set, start-work claims issues there first.
    public var registryRemote: String?
    /// How long a trashed worktree stays restorable (`trash.retention`; default 14 days).
    public var trashRetention: TimeInterval?
    /// Ignored paths that are rebuilt from the project (`trash.regenerable`), never listed as
    /// unique in the trash.
    public var regenerable: [String]?
    /// Labels in the order `ppds issues` puts them first (`issues.label_priority`).
    public var labelPriority: [String] = []
    /// Each session's block of ports (`[ports] base`, `size`); nil: the defaults (41000, 10).
    public var portBase: Int?
    public var portSize: Int?
    /// The repository file, when its commands are part of this config; they run only once trusted.
    public var repositoryFile: String?
    public var repositoryCommandsTrusted = true
    /// Folders a worktree path from an untrusted repository file must stay under
    /// (`worktree_roots` in the user's config); empty: the repository's parent folder.
    public var worktreeRoots: [String] = []
    /// The `worktree` / `branch` template came from the repository's `.ppds.toml`.
    public private(set) var worktreeFromRepository = false
    public private(set) var branchFromRepository = false
    /// `registry.remote` from the repository's file, used only once it is trusted.
    public private(set) var repositoryRegistryRemote: String?

    public init() {}

    static let knownKeys: Set<String> = ["base", "branch", "worktree", "worktree_roots", "default_type", "labels", "copy", "hooks", "spawn", "stale_after", "registry", "trash", "issues", "ports", "agents"]

    /// The largest config file read.
    static let maxFileSize = 1 << 20

    /// Reads both files; a malformed one is an error naming the file, line and key.
    public static func load(home: String, repoRoot: String) throws(PPDSError) -> Config {
        var config = Config()
        let userFile = home + "/config.toml"
        if let text = try readUserFile(userFile) { try config.apply(text, file: userFile, fromRepository: false) }
        let repoFile = repoRoot + "/.ppds.toml"
        if let text = try readRepositoryFile(repoFile) {
            try config.apply(text, file: repoFile, fromRepository: true)
            config.repositoryFile = repoFile
            config.repositoryCommandsTrusted = Trust.isTrusted(repoRoot: repoRoot, content: text, home: home)
            // A registry remote makes start-work push claims with the user's credentials: the
            // repository's choice counts only once trusted.
            if let remote = config.repositoryRegistryRemote, config.repositoryCommandsTrusted { config.registryRemote = remote }
        }
        return config
    }

    /// The user's own file (a symlink to a dotfiles folder is fine), but only their own.
    static func readUserFile(_ path: String) throws(PPDSError) -> String? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw PPDSError.invalid("\(path): cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= maxFileSize else {
            throw PPDSError.invalid("\(path): not a regular file of at most \(maxFileSize) bytes")
        }
        guard info.st_uid == geteuid() else {
            throw PPDSError.refused("\(path) belongs to another user (uid \(info.st_uid)); ppds reads only your own config; move it aside")
        }
        return String(decoding: FileDescriptor.readToEnd(fd), as: UTF8.self)
    }

    /// The repository's file: a regular file in the main worktree, never a symlink (which
    /// could borrow another repository's trusted file, or read one from outside).
    public static func readRepositoryFile(_ path: String) throws(PPDSError) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            if errno == ELOOP {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                throw PPDSError.refused("\(path) is a symbolic link (to \(target)); ppds reads only a regular .ppds.toml in the repository; replace the link with the file itself")
            }
            throw PPDSError.invalid("\(path): cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= maxFileSize else {
            throw PPDSError.invalid("\(path): not a regular file of at most \(maxFileSize) bytes")
        }
        return String(decoding: FileDescriptor.readToEnd(fd), as: UTF8.self)
    }

    /// Whether a repository file set any command (hooks or spawn).
    private var repositoryCommandKeys: Set<String> = []

    /// Whether the commands under `key` (`hooks.post_create`, `spawn`, …) may run: they come from
    /// the user's own config, or from a repository file the user trusted as it is now.
    public func mayRun(_ key: String) -> Bool { repositoryCommandsTrusted || !repositoryCommandKeys.contains(key) }

    mutating func apply(_ text: String, file: String, fromRepository: Bool) throws(PPDSError) {
        let document = try ConfigFile(parsing: text, file: file)
        func fail(_ path: [String], _ message: String) -> PPDSError { document.fail(path, message) }
        func string(_ key: String) throws(PPDSError) -> String? {
            guard let value = document.value(at: key) else { return nil }
            guard case .string(let text) = value else { throw fail([key], "expected a string, found \(value.typeName)") }
            return text
        }
        func strings(_ key: String) throws(PPDSError) -> [String]? {
            guard let value = document.value(at: key) else { return nil }
            guard case .array(let items) = value else { throw fail([key], "expected an array of strings, found \(value.typeName)") }
            var out: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw fail([key], "expected an array of strings, found \(item.typeName) in it") }
                out.append(text)
            }
            return out
        }
        func command(_ value: ConfigValue, _ path: [String]) throws(PPDSError) -> CommandSpec {
            switch value {
            case .string(let line): return .shell(line)
            case .array(let items):
                var argv: [String] = []
                for item in items {
                    guard case .string(let text) = item else { throw fail(path, "a command's arguments must be strings, found \(item.typeName)") }
                    argv.append(text)
                }
                guard !argv.isEmpty else { throw fail(path, "an empty command") }
                return .argv(argv)
            default: throw fail(path, "expected a command: a string (run by /bin/sh) or an array of arguments, found \(value.typeName)")
            }
        }
        for key in document.root.keys.sorted() where !Self.knownKeys.contains(key) {
            throw fail([key], "unknown key (known: \(Self.knownKeys.sorted().joined(separator: ", ")))")
        }
        if let value = try string("base") { base = value }
        // A repository's templates are text from outside: only plain path characters, so no
        // name made from them is ever read as code (a shell's `$(…)`, tmux's `#(…)`, markup).
        func plainTemplate(_ key: String, _ value: String) throws(PPDSError) {
            // One pass, left to right: a placeholder is skipped whole, so removing one can never
            // join its neighbours into another ('{pa{slug}rent}' is refused, not read as {parent}).
            var literal = ""
            var rest = Substring(value)
            while let first = rest.first {
                if let placeholder = TemplatePlaceholders.placeholders.first(where: { rest.hasPrefix($0) }) {
                    // A branch name is pushed: the user's folders ({parent}) do not belong in it.
                    if key == "branch" && placeholder == "{parent}" {
                        throw fail([key], "{parent} is not allowed in a repository's branch template (it would put your folder names into pushed branch names); set it in $PPDS_HOME/config.toml instead")
                    }
                    rest = rest.dropFirst(placeholder.count)
                } else {
                    literal.append(first)
                    rest = rest.dropFirst()
                }
            }
            if let bad = literal.unicodeScalars.first(where: { !Self.isPlainPathCharacter($0) }) {
                throw fail([key], "'\(bad.escaped(asASCII: true))' is not allowed in a repository's template (only letters, digits, '.', '_', '-', '/', '+', '@' and {placeholders}); set it in $PPDS_HOME/config.toml instead")
            }
        }
        if let value = try string("branch") {
            guard value.contains("{slug}") || value.contains("{issue}") else { throw fail(["branch"], "the template needs {slug} or {issue}") }
            if fromRepository { try plainTemplate("branch", value) }
            branchTemplate = value
            branchFromRepository = fromRepository
        }
        if let value = try string("worktree") {
            guard value.contains("{slug}") || value.contains("{issue}") else { throw fail(["worktree"], "the template needs {slug} or {issue}") }
            if fromRepository { try plainTemplate("worktree", value) }
            worktreeTemplate = value
            worktreeFromRepository = fromRepository
        }
        if let roots = try strings("worktree_roots") {
            guard !fromRepository else {
                throw fail(["worktree_roots"], "only the user's own config ($PPDS_HOME/config.toml) may allow folders for worktrees")
            }
            for root in roots {
                let expanded = (root as NSString).expandingTildeInPath
                guard expanded.hasPrefix("/"), !expanded.split(separator: "/").contains("..") else {
                    throw fail(["worktree_roots"], "'\(root)' is not an absolute folder without '..'")
                }
                worktreeRoots.append(expanded)
            }
        }
        if let value = try string("default_type") { defaultType = value }
        if let labels = document.value(at: "labels") {
            guard case .table(let table) = labels else { throw fail(["labels"], "expected a table of label = \"type\"") }
            for (label, type) in table.sorted(by: { $0.key < $1.key }) {
                guard case .string(let text) = type else { throw fail(["labels", label], "expected a string") }
                labelTypes[label.lowercased()] = text
            }
        }
        if let value = try strings("copy") { copy = value }
        if let hooks = document.value(at: "hooks") {
            guard case .table(let table) = hooks else { throw fail(["hooks"], "expected a table") }
            for key in table.keys.sorted() where key != "post_create" && key != "on_stuck" && key != "on_complete" {
                throw fail(["hooks", key], "unknown hook (known: post_create, on_stuck, on_complete)")
            }
            func commands(_ name: String) throws(PPDSError) -> [CommandSpec]? {
                guard let list = table[name] else { return nil }
                if fromRepository { repositoryCommandKeys.insert("hooks." + name) }
                // A list of commands, each a shell line (string) or an argument vector (array).
                if case .array(let items) = list {
                    return try items.map { (item: ConfigValue) throws(PPDSError) -> CommandSpec in try command(item, ["hooks", name]) }
                }
                return [try command(list, ["hooks", name])]
            }
            if let list = try commands("post_create") { postCreate = list }
            if let list = try commands("on_stuck") { onStuck = list }
            if let list = try commands("on_complete") { onComplete = list }
        }
        if let value = document.value(at: "spawn") {
            spawn = try command(value, ["spawn"])
            if fromRepository { repositoryCommandKeys.insert("spawn") }
        }
        if let table = document.value(at: "agents") {
            guard case .table(let entries) = table else { throw fail(["agents"], "expected tables [agents.NAME] with command = [\"prog\", \"arg\"]") }
            for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
                agents[name] = try AgentConfig.parse(name: name, value, fail: { fail(["agents", name] + $0, $1) })
                if fromRepository { repositoryCommandKeys.insert("agents." + name) }
            }
        }
        if let registry = document.value(at: "registry") {
            guard case .table(let table) = registry else { throw fail(["registry"], "expected a table (registry.remote = \"origin\")") }
            for key in table.keys.sorted() where key != "remote" { throw fail(["registry", key], "unknown key (known: remote)") }
            if let remote = table["remote"] {
                guard case .string(let name) = remote, !name.isEmpty, !name.hasPrefix("-") else {
                    throw fail(["registry", "remote"], "expected the name of a git remote, e.g. \"origin\"")
                }
                if fromRepository { repositoryRegistryRemote = name } else { registryRemote = name }
            }
        }
        if let trash = document.value(at: "trash") {
            guard case .table(let table) = trash else { throw fail(["trash"], "expected a table (trash.retention = \"14d\")") }
            for key in table.keys.sorted() where key != "retention" && key != "regenerable" {
                throw fail(["trash", key], "unknown key (known: regenerable, retention)")
            }
            // How long removed work is kept is the user's call: a repository could otherwise
            // empty the trash of its own worktrees at once. (A repository may say what is
            // regenerable: that only decides what is listed as unique; it all goes to the trash.)
            if table["retention"] != nil, fromRepository {
                throw fail(["trash", "retention"], "only the user's own config ($PPDS_HOME/config.toml) may set how long the trash keeps removed work")
            }
            if let value = table["retention"] {
                guard case .string(let text) = value, let seconds = HumanDuration.parse(text, bareUnit: 86400), seconds > 0 else {
                    throw fail(["trash", "retention"], "expected a duration such as \"14d\" or \"36h\"")
                }
                trashRetention = seconds
            }
            if let value = table["regenerable"] {
                guard case .array(let items) = value else { throw fail(["trash", "regenerable"], "expected an array of paths") }
                var paths: [String] = []
                for item in items {
                    guard case .string(let text) = item, !text.isEmpty else { throw fail(["trash", "regenerable"], "expected an array of paths") }
                    paths.append(text)
                }
                regenerable = paths
            }
        }
        if let issues = document.value(at: "issues") {
            guard case .table(let table) = issues else { throw fail(["issues"], "expected a table (issues.label_priority = [\"p0\", \"p1\"])") }
            for key in table.keys.sorted() where key != "label_priority" { throw fail(["issues", key], "unknown key (known: label_priority)") }
            if let value = table["label_priority"] {
                guard case .array(let items) = value else { throw fail(["issues", "label_priority"], "expected an array of label names") }
                var labels: [String] = []
                for item in items {
                    guard case .string(let label) = item, !label.isEmpty else { throw fail(["issues", "label_priority"], "expected an array of label names") }
                    labels.append(label)
                }
                labelPriority = labels
            }
        }
        if let ports = document.value(at: "ports") {
            guard case .table(let table) = ports else { throw fail(["ports"], "expected a table ([ports] base = 41000, size = 10)") }
            for key in table.keys.sorted() where key != "base" && key != "size" { throw fail(["ports", key], "unknown key (known: base, size)") }
            if let value = table["base"] {
                guard case .integer(let base) = value, (1024...65535).contains(base) else {
                    throw fail(["ports", "base"], "expected a port from 1024 to 65535 (ports below 1024 need privileges)")
                }
                portBase = Int(base)
            }
            if let value = table["size"] {
                guard case .integer(let size) = value, (1...1024).contains(size) else { throw fail(["ports", "size"], "expected a number of ports from 1 to 1024") }
                portSize = Int(size)
            }
            if (portBase ?? 41000) + (portSize ?? 10) - 1 > 65535 {
                throw fail(["ports"], "base + size - 1 is over 65535: no block fits")
            }
        }
        if let value = document.value(at: "stale_after") {
            switch value {
            case .integer(let minutes) where minutes > 0: staleAfter = TimeInterval(minutes) * 60
            case .string(let text):
                guard let seconds = HumanDuration.parse(text), seconds > 0 else { throw fail(["stale_after"], "'\(text)' is not a duration (e.g. 90, \"45m\", \"2h\")") }
                staleAfter = seconds
            default: throw fail(["stale_after"], "expected minutes (a positive integer) or a duration string, found \(value.typeName)")
            }
        }
    }
}

extension Config {
    /// Characters a repository's `worktree` / `branch` template may hold besides placeholders.
    static func isPlainPathCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
            || c == "." || c == "_" || c == "-" || c == "/" || c == "+" || c == "@")
    }
}

/// The placeholders of the naming templates (here, below Lifecycle, for the config check).
public enum TemplatePlaceholders {
    public static let placeholders = ["{type}", "{slug}", "{issue}", "{repo}", "{parent}"]
}

/// Which repository config contents the user trusted to run commands (`ppds trust`).
///
/// A record is keyed by the repository (its main worktree's canonical path, plus
/// `/.ppds.toml`, the key older records used) and holds the SHA-256 of the content. The key is
/// computed from the repository ppds runs in, never from where the file resolves: a
/// `.ppds.toml` that is a symlink is refused when read, so one repository can never borrow
/// another's trust.
public enum Trust {
    static func recordFile(home: String) -> String { home + "/trusted.json" }

    static func key(repoRoot: String) -> String { canonicalPath(repoRoot) + "/.ppds.toml" }

    /// The records; an unreadable, linked or foreign file counts as no trust at all.
    static func records(home: String) -> [String: String] {
        guard let data = try? PrivateFile.read(recordFile(home: home)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return object
    }

    public static func isTrusted(repoRoot: String, content: String, home: String) -> Bool {
        records(home: home)[key(repoRoot: repoRoot)] == SHA256.hex(Data(content.utf8))
    }

    /// The repository's prompt template for spawned agents (`.ppds/prompt.md`): it instructs an
    /// agent that runs tools, so it counts only as trusted (`ppds trust` records it with the file).
    public static let promptFile = ".ppds/prompt.md"

    static func promptKey(repoRoot: String) -> String { canonicalPath(repoRoot) + "/" + promptFile }

    public static func isPromptTrusted(repoRoot: String, content: String, home: String) -> Bool {
        records(home: home)[promptKey(repoRoot: repoRoot)] == SHA256.hex(Data(content.utf8))
    }

    /// Records the repository file's current content as trusted; returns its digest.
    @discardableResult
    public static func trust(repoRoot: String, home: String) throws(PPDSError) -> String {
        let file = repoRoot + "/.ppds.toml"
        let prompt = try Config.readRepositoryFile(repoRoot + "/" + promptFile)
        guard let text = try Config.readRepositoryFile(file) ?? prompt.map({ _ in "" }) else {
            throw PPDSError.refused("\(file) does not exist; nothing to trust")
        }
        _ = try Config.load(home: home, repoRoot: repoRoot)
        do { _ = try PrivateFile.read(recordFile(home: home)) } catch {
            throw PPDSError.refused("\(error.path): \(error.message)")
        }
        var all = records(home: home)
        let digest = SHA256.hex(Data(text.utf8))
        if !text.isEmpty || FileManager.default.fileExists(atPath: file) { all[key(repoRoot: repoRoot)] = digest }
        if let prompt {
            all[promptKey(repoRoot: repoRoot)] = SHA256.hex(Data(prompt.utf8))
        }
        let json = JSONWriter.write(.object(all.mapValues(JSONValue.string)))
        do {
            try PrivateFile.write(Data((json + "\n").utf8), to: recordFile(home: home), home: home)
        } catch {
            throw PPDSError.io("\(recordFile(home: home)): cannot record the trust: \(error)")
        }
        return digest
    }
}
