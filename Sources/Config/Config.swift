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
    public var staleAfter: TimeInterval?
    /// The git remote that carries the session registry between machines (`registry.remote`);
    /// when set, start-work claims issues there first.
    public var registryRemote: String?
    /// How long a trashed worktree stays restorable (`trash.retention`; default 14 days).
    public var trashRetention: TimeInterval?
    /// Ignored paths that are rebuilt from the project (`trash.regenerable`), never listed as
    /// unique in the trash.
    public var regenerable: [String]?
    /// The repository file, when its commands are part of this config; they run only once trusted.
    public var repositoryFile: String?
    public var repositoryCommandsTrusted = true

    public init() {}

    static let knownKeys: Set<String> = ["base", "branch", "worktree", "default_type", "labels", "copy", "hooks", "spawn", "stale_after", "registry", "trash"]

    /// Reads both files; a malformed one is an error naming the file, line and key.
    public static func load(home: String, repoRoot: String) throws(PPDSError) -> Config {
        var config = Config()
        let userFile = home + "/config.toml"
        if let text = readText(userFile) { try config.apply(text, file: userFile, fromRepository: false) }
        let repoFile = repoRoot + "/.ppds.toml"
        if let text = readText(repoFile) {
            try config.apply(text, file: repoFile, fromRepository: true)
            config.repositoryFile = repoFile
            config.repositoryCommandsTrusted = Trust.isTrusted(file: repoFile, content: text, home: home)
        }
        return config
    }

    static func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
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
        if let value = try string("branch") {
            guard value.contains("{slug}") || value.contains("{issue}") else { throw fail(["branch"], "the template needs {slug} or {issue}") }
            branchTemplate = value
        }
        if let value = try string("worktree") {
            guard value.contains("{slug}") || value.contains("{issue}") else { throw fail(["worktree"], "the template needs {slug} or {issue}") }
            worktreeTemplate = value
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
        if let registry = document.value(at: "registry") {
            guard case .table(let table) = registry else { throw fail(["registry"], "expected a table (registry.remote = \"origin\")") }
            for key in table.keys.sorted() where key != "remote" { throw fail(["registry", key], "unknown key (known: remote)") }
            if let remote = table["remote"] {
                guard case .string(let name) = remote, !name.isEmpty, !name.hasPrefix("-") else {
                    throw fail(["registry", "remote"], "expected the name of a git remote, e.g. \"origin\"")
                }
                registryRemote = name
            }
        }
        if let trash = document.value(at: "trash") {
            guard case .table(let table) = trash else { throw fail(["trash"], "expected a table (trash.retention = \"14d\")") }
            for key in table.keys.sorted() where key != "retention" && key != "regenerable" {
                throw fail(["trash", key], "unknown key (known: regenerable, retention)")
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

/// Which repository config contents the user trusted to run commands (`ppds trust`).
public enum Trust {
    static func recordFile(home: String) -> String { home + "/trusted.json" }

    static func records(home: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: recordFile(home: home)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return object
    }

    public static func isTrusted(file: String, content: String, home: String) -> Bool {
        records(home: home)[canonicalPath(file)] == SHA256.hex(Data(content.utf8))
    }

    /// Records the file's current content as trusted; returns its digest.
    @discardableResult
    public static func trust(file: String, home: String) throws(PPDSError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PPDSError.refused("\(file) does not exist; nothing to trust")
        }
        let text = String(decoding: data, as: UTF8.self)
        _ = try Config.load(home: home, repoRoot: (file as NSString).deletingLastPathComponent)
        var all = records(home: home)
        let digest = SHA256.hex(Data(text.utf8))
        all[canonicalPath(file)] = digest
        let json = JSONWriter.write(.object(all.mapValues(JSONValue.string)))
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try AtomicFile.write(Data((json + "\n").utf8), to: recordFile(home: home))
        } catch {
            throw PPDSError.io("\(recordFile(home: home)): cannot record the trust: \(error)")
        }
        return digest
    }
}
