import Foundation
import Config
import SessionKit
import Support

/// What `ppds spawn` hands to `ppds agent-run` in the new tmux pane: a private file under
/// `$PPDS_HOME/launch/`, named by the only word tmux sees (`agent-run --launch FILE`). The agent's
/// command, its prompt and every repository value go this way, never through tmux's command
/// parser, a tmux format or a shell.
public struct AgentLaunch: Sendable, Equatable {
    public var home: String
    public var repoRoot: String
    public var issue: IssueNumber
    public var agent: String
    public var command: [String]
    public var prompt: String?
    public var delivery: AgentConfig.PromptDelivery
    /// The spawner's PATH: the tmux server may have started with another one.
    public var path: String?
    /// Where the pane's output is kept.
    public var log: String
    /// The agent hooks written for it (`claude`), or `none`: guidance is typed into the pane
    /// (`ppds send`) only for an agent without hooks.
    public var hooks: AgentConfig.HookKind = .none

    public init(home: String, repoRoot: String, issue: IssueNumber, agent: String, command: [String], prompt: String?,
                delivery: AgentConfig.PromptDelivery, path: String?, log: String) {
        self.home = home
        self.repoRoot = repoRoot
        self.issue = issue
        self.agent = agent
        self.command = command
        self.prompt = prompt
        self.delivery = delivery
        self.path = path
        self.log = log
    }

    /// The agent's argument vector: the prompt as the last word when delivered by argv.
    public var argv: [String] {
        if delivery == .argv, let prompt { return command + [prompt] }
        return command
    }

    public static func folder(home: String) -> String { home + "/launch" }

    var json: JSONValue {
        .object([
            "home": .string(home), "repoRoot": .string(repoRoot), "issue": .int(Int64(issue.value)), "agent": .string(agent),
            "command": .array(command.map(JSONValue.string)), "prompt": prompt.map(JSONValue.string) ?? .null,
            "delivery": .string(delivery.rawValue), "path": path.map(JSONValue.string) ?? .null, "log": .string(log),
            "hooks": .string(hooks.rawValue),
        ])
    }

    /// A launch file is taken seconds after it is written; one this old was left by a `spawn`
    /// killed before its window started, and is removed by the next spawn.
    static let leftoverAge: TimeInterval = 24 * 3600

    /// Writes the launch file (0600, under the home); returns its path.
    public func write() throws(PPDSError) -> String {
        Self.removeLeftovers(in: Self.folder(home: home), now: Date())
        let file = Self.folder(home: home) + "/" + UUID().uuidString.lowercased() + ".json"
        do {
            try PrivateFile.write(Data(JSONWriter.write(json).utf8), to: file, home: home)
        } catch {
            throw PPDSError.io("\(error.path): cannot write the agent's launch file: \(error.message)")
        }
        return file
    }

    /// Removes launch files older than `leftoverAge`: regular files named as ppds names them,
    /// never through a link.
    static func removeLeftovers(in folder: String, now: Date) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasSuffix(".json") && UUID(uuidString: String(name.dropLast(5))) != nil {
            var info = stat()
            let path = folder + "/" + name
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if now.timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > leftoverAge { unlink(path) }
        }
    }

    /// Reads and removes a launch file: it is used once.
    public static func take(_ file: String) throws(PPDSError) -> AgentLaunch {
        let data: Data?
        do { data = try PrivateFile.read(file, limit: 4 << 20) } catch { throw PPDSError.refused("\(error.path): \(error.message)") }
        guard let data else { throw PPDSError.notFound("\(file): no such launch file (each is used once; run 'ppds spawn' again)") }
        unlink(file)
        guard let object = (try? JSONValue.parse(data))?.objectValue,
              let home = object["home"]?.stringValue, let repoRoot = object["repoRoot"]?.stringValue,
              case .int(let number)? = object["issue"], let issue = IssueNumber(Int(clamping: number)),
              let agent = object["agent"]?.stringValue, let words = object["command"]?.arrayValue,
              let delivery = object["delivery"]?.stringValue.flatMap(AgentConfig.PromptDelivery.init(rawValue:)),
              let log = object["log"]?.stringValue else {
            throw PPDSError.invalid("\(file): not a launch file ppds wrote")
        }
        let command = words.compactMap(\.stringValue)
        guard command.count == words.count, !command.isEmpty else { throw PPDSError.invalid("\(file): its command is not a list of strings") }
        var launch = AgentLaunch(home: home, repoRoot: repoRoot, issue: issue, agent: agent, command: command,
                                 prompt: object["prompt"]?.stringValue, delivery: delivery, path: object["path"]?.stringValue, log: log)
        launch.hooks = object["hooks"]?.stringValue.flatMap(AgentConfig.HookKind.init(rawValue:)) ?? .none
        return launch
    }
}
