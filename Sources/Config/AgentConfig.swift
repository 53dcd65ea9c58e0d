import Foundation
import Support

/// An agent `ppds spawn` can start: `[agents.NAME]` in the config, or the built-in `claude`.
///
/// ```toml
/// [agents.aider]
/// command = ["aider", "--yes"]
/// prompt = "argv"      # the prompt as the last argument ("argv"), on standard input ("stdin"), or not at all ("none")
/// hooks = "none"       # "claude" writes Claude Code's hooks into the worktree first
/// ```
/// A repository's `.ppds.toml` agents run only once trusted, like its hooks (`Config.mayRun("agents.NAME")`).
public struct AgentConfig: Sendable, Equatable {
    public enum PromptDelivery: String, Sendable, CaseIterable {
        case argv, stdin, none
    }

    /// Which agent hooks ppds writes into the worktree before it starts the agent.
    public enum HookKind: String, Sendable, CaseIterable {
        case claude, none
    }

    public var name: String
    public var command: [String]
    public var prompt: PromptDelivery
    public var hooks: HookKind

    public init(name: String, command: [String], prompt: PromptDelivery = .argv, hooks: HookKind = .none) {
        self.name = name
        self.command = command
        self.prompt = prompt
        self.hooks = hooks
    }

    /// Claude Code: the prompt as its last argument, its hooks written first (as
    /// `start-work --agent claude` writes them).
    public static let claude = AgentConfig(name: "claude", command: ["claude"], prompt: .argv, hooks: .claude)

    /// An agent's name: what `--agent NAME` and the record say.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" || $0 == ".")
        }
    }

    static func parse(name: String, _ value: ConfigValue, fail: ([String], String) -> PPDSError) throws(PPDSError) -> AgentConfig {
        guard isValidName(name) else { throw fail([], "an agent's name is letters, digits, '-', '_' or '.'") }
        guard case .table(let table) = value else { throw fail([], "expected a table with command = [\"prog\", \"arg\"]") }
        for key in table.keys.sorted() where !["command", "prompt", "hooks"].contains(key) {
            throw fail([key], "unknown key (known: command, prompt, hooks)")
        }
        guard case .array(let items)? = table["command"], !items.isEmpty else {
            throw fail(["command"], "expected a non-empty array of strings (the program and its arguments, run without a shell)")
        }
        var command: [String] = []
        for item in items {
            guard case .string(let word) = item, !word.contains("\0") else { throw fail(["command"], "expected an array of strings") }
            command.append(word)
        }
        guard !command[0].isEmpty else { throw fail(["command"], "the program's name is empty") }
        var agent = AgentConfig(name: name, command: command)
        if let value = table["prompt"] {
            guard case .string(let text) = value, let delivery = PromptDelivery(rawValue: text) else {
                throw fail(["prompt"], "expected \"argv\", \"stdin\" or \"none\"")
            }
            agent.prompt = delivery
        }
        if let value = table["hooks"] {
            guard case .string(let text) = value, let kind = HookKind(rawValue: text) else {
                throw fail(["hooks"], "expected \"claude\" or \"none\"")
            }
            agent.hooks = kind
        }
        return agent
    }
}
