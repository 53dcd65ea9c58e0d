import Foundation
import Support

/// The repository's `.mcp.json` (Claude Code's project-scoped MCP servers, meant to be
/// committed): `{"mcpServers": {"<name>": {"type": "stdio", "command": …, "args": […]}}}`, as
/// code.claude.com/docs/en/mcp shows it. ppds writes only its own entry, `ppds`, and keeps
/// every other key, server and number as written.
public enum MCPClientConfig {
    public static let fileName = ".mcp.json"
    public static let serverName = "ppds"

    /// ppds's entry: run `command mcp` over stdio.
    static func entry(command: String) -> SettingsJSON {
        .object([("type", .string("stdio")), ("command", .string(command)), ("args", .array([.string("mcp")]))])
    }

    /// The whole file for a repository that has none.
    public static func document(command: String) -> Data {
        Data((SettingsJSON.object([("mcpServers", .object([(serverName, entry(command: command))]))]).written() + "\n").utf8)
    }

    /// `existing` with ppds's entry in place; anything that is not an MCP config object is an
    /// error naming `file`, and nothing is guessed.
    public static func merge(_ existing: Data?, command: String, file: String) throws(PPDSError) -> Data {
        guard let existing, !existing.allSatisfy({ [0x20, 0x0a, 0x0d, 0x09].contains($0) }) else { return document(command: command) }
        let settings = try SettingsJSON.parseObject(existing, file: file)
        var servers: [(key: String, value: SettingsJSON)] = []
        if let current = SettingsJSON.object(settings)["mcpServers"], !current.isNull {
            guard let entries = current.objectEntries else {
                throw PPDSError.invalid("\(file): 'mcpServers' is \(current.kindDescription), not an object; nothing was written")
            }
            servers = entries
        }
        servers = SettingsJSON.setting(serverName, to: entry(command: command), in: servers)
        return Data((SettingsJSON.object(SettingsJSON.setting("mcpServers", to: .object(servers), in: settings)).written() + "\n").utf8)
    }

    /// What `ppds mcp install claude --write` did.
    public struct Install: Sendable, Equatable {
        public var file: String
        public var changed: Bool

        public var json: JSONValue { .object(["file": .string(file), "changed": .bool(changed)]) }
    }

    /// Merges ppds's entry into `<repoRoot>/.mcp.json`, atomically, keeping the file's mode. A
    /// link or a folder in its place is refused (the write would land elsewhere).
    public static func install(repoRoot: String, command: String) throws(PPDSError) -> Install {
        let file = repoRoot + "/" + fileName
        var facts = stat()
        let exists = lstat(file, &facts) == 0
        if exists, facts.st_mode & S_IFMT != S_IFREG {
            throw PPDSError.refused("\(file) is not a regular file (a link?); nothing was written")
        }
        let existing = exists ? FileManager.default.contents(atPath: file) : nil
        let merged = try merge(existing, command: command, file: file)
        guard merged != existing else { return Install(file: file, changed: false) }
        try PPDSError.wrapping { try AtomicFile.write(merged, to: file, mode: exists ? facts.st_mode & 0o777 : 0o644) }
        return Install(file: file, changed: true)
    }
}
