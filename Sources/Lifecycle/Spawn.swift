import Foundation
import Agents
import Config
import Forge
import LifecycleCore
import SessionKit
import Support

/// Which agent `spawn` starts.
public enum AgentChoice: Sendable, Equatable {
    /// `--agent NAME`: `[agents.NAME]` from the config, or the built-in `claude` (the default).
    case named(String)
    /// `-- CMD ARGS…`: this command, with the prompt delivered as `delivery` says.
    case command([String], delivery: AgentConfig.PromptDelivery)
}

public struct SpawnRequest: Sendable {
    public var issues: [IssueNumber]
    public var agent: AgentChoice
    /// `--prompt FILE`'s text: a template that replaces the project's (placeholders filled).
    public var promptTemplate: String?
    /// Do not ask gh for the issue's body.
    public var offline: Bool
    /// This ppds, which tmux runs as the pane's supervisor (`agent-run`) and the hooks call.
    public var executable: String
    /// The spawner's PATH, given to the agent.
    public var path: String?

    public init(issues: [IssueNumber], agent: AgentChoice = .named(AgentConfig.claude.name), promptTemplate: String? = nil,
                offline: Bool = false, executable: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) {
        self.issues = issues
        self.agent = agent
        self.promptTemplate = promptTemplate
        self.offline = offline
        self.executable = executable
        self.path = path
    }
}

/// One issue's spawn: its window, or why not.
public struct SpawnResult: Sendable {
    public enum Outcome: Sendable {
        case spawned(Tmux.NewPane)
        case failed(PPDSError)
    }

    public var issue: IssueNumber
    public var agent: String?
    public var outcome: Outcome
    /// Whether the supervisor had recorded the agent when spawn returned.
    public var recorded = false
    public var warnings: [String] = []

    public init(issue: IssueNumber, agent: String?, outcome: Outcome) {
        self.issue = issue
        self.agent = agent
        self.outcome = outcome
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["issue": .int(Int64(issue.value)), "agent": agent.map(JSONValue.string) ?? .null,
                                           "warnings": .array(warnings.map(JSONValue.string)), "recorded": .bool(recorded)]
        switch outcome {
        case .spawned(let pane):
            fields["outcome"] = .string("spawned")
            fields["tmux"] = .object(["socket": .string(pane.socket), "session": .string(pane.session),
                                      "window": .string(pane.window), "pane": .string(pane.pane)])
            fields["pid"] = .int(Int64(pane.pid))
        case .failed(let error):
            fields["outcome"] = .string("failed")
            fields["kind"] = .string(error.reason.rawValue)
            fields["message"] = .string(error.message)
        }
        return .object(fields)
    }
}

/// `ppds spawn` and `start-work --spawn`: each worker in its own window of ppds's tmux server
/// (one tmux session per repository, one window `work-N` per issue), under `ppds agent-run`.
public struct Spawn: Sendable {
    public let workspace: Workspace
    public let config: Config

    public init(workspace: Workspace, config: Config) {
        self.workspace = workspace
        self.config = config
    }

    /// How long spawn waits for the supervisor to record the agent.
    public static let recordWait: TimeInterval = 5

    /// tmux missing is the whole command's refusal; everything else is per issue.
    public func run(_ request: SpawnRequest, tmux given: Tmux? = nil) throws(PPDSError) -> [SpawnResult] {
        let tmux: Tmux
        if let given { tmux = given } else { tmux = try Tmux.locate() }
        let agent = try resolve(request.agent)
        return request.issues.map { spawn($0, agent: agent, request: request, tmux: tmux) }
    }

    /// The agent to start: refused when unknown, untrusted, or not on PATH.
    func resolve(_ choice: AgentChoice) throws(PPDSError) -> AgentConfig {
        let agent: AgentConfig
        switch choice {
        case .command(let argv, let delivery):
            guard let first = argv.first, !first.isEmpty else { throw PPDSError.usage("no command after '--'") }
            agent = AgentConfig(name: AgentConfig.isValidName((first as NSString).lastPathComponent) ? (first as NSString).lastPathComponent : "command",
                                command: argv, prompt: delivery)
        case .named(let name):
            if let configured = config.agents[name] {
                guard config.mayRun("agents." + name) else {
                    throw PPDSError.refused("agent '\(name)' comes from \(config.repositoryFile ?? ".ppds.toml"), which is not trusted; review it, then run 'ppds trust'")
                }
                agent = configured
            } else if name == AgentConfig.claude.name {
                agent = .claude
            } else {
                let known = ([AgentConfig.claude.name] + config.agents.keys.sorted()).joined(separator: ", ")
                throw PPDSError.notFound("no agent named '\(TerminalText.escaped(name))' (known: \(known)); define it in $PPDS_HOME/config.toml as [agents.\(TerminalText.escaped(name))] command = [\"prog\", \"arg\"], or give the command after '--'")
            }
        }
        guard ProcessRunner.find(agent.command[0]) != nil else {
            throw PPDSError.notFound("'\(TerminalText.escaped(agent.command[0]))' (agent \(agent.name)) was not found on PATH; install it, or pick another agent with --agent NAME or '-- CMD ARGS'")
        }
        return agent
    }

    func spawn(_ issue: IssueNumber, agent: AgentConfig, request: SpawnRequest, tmux: Tmux) -> SpawnResult {
        var result = SpawnResult(issue: issue, agent: agent.name, outcome: .failed(PPDSError.failed("")))
        do {
            // One spawn of an issue at a time, from the liveness check until the supervisor has
            // recorded itself: two at once would both see no agent and start two.
            try workspace.withRepositoryLock("spawn-" + issue.sessionID) { () throws(PPDSError) in
                try launch(issue, agent: agent, request: request, tmux: tmux, into: &result)
            }
        } catch {
            result.outcome = .failed(PPDSError.from(error))
        }
        return result
    }

    func launch(_ issue: IssueNumber, agent: AgentConfig, request: SpawnRequest, tmux: Tmux, into result: inout SpawnResult) throws(PPDSError) {
        do {
            guard let session = try PPDSError.wrapping({ try workspace.store.loadIfPresent(issue) }) else {
                throw PPDSError.notFound("\(issue.tag) has no session in \(workspace.repoRoot); start it with 'ppds start-work \(issue.value) --spawn'")
            }
            if session.status.isTerminal {
                throw PPDSError.refused("\(issue.tag) is \(session.status.fileValue); a finished session gets no worker ('ppds start-work \(issue.value)' starts it again once pruned)")
            }
            let machine = (try? Machine.current(home: workspace.store.home))?.id
            switch AgentLiveness.observe(session, machineID: machine, samples: nil) {
            case .running(let pid, _, _):
                throw PPDSError.conflict("\(issue.tag)'s agent \(session.agent?.name ?? "") is already running (pid \(pid), since \(Timestamp.format(session.agent!.started))); reach it with 'ppds attach \(issue.value)', or end it with 'ppds stop \(issue.value)'")
            case .elsewhere(let other, _):
                throw PPDSError.conflict("\(issue.tag)'s agent runs on machine \(other); reach or stop it there")
            case .gone:
                if let record = session.agent, let group = AgentStop.orphanGroup(record) {
                    throw PPDSError.conflict("\(issue.tag)'s agent \(record.name) still runs (process group \(group)) though its supervisor has ended; end it with 'ppds stop \(issue.value)', then spawn again")
                }
            case .none, .exited:
                break
            }
            var folder = ObjCBool(false)
            guard FileManager.default.fileExists(atPath: session.worktree, isDirectory: &folder), folder.boolValue else {
                throw PPDSError.notFound("\(issue.tag)'s worktree \(session.worktree) is missing; 'ppds doctor' says how to recover it")
            }
            if agent.hooks == .claude {
                let hooks = AgentHooks.installResult(for: session, workspace: workspace, agent: .claude, executable: request.executable)
                if hooks.outcome == .failed { result.warnings.append("the agent's hooks were not written: \(hooks.message ?? "")") }
            }
            let prompt = agent.prompt == .none ? nil : makePrompt(session, request: request, warnings: &result.warnings)
            let home = workspace.store.home
            let launch = AgentLaunch(home: home, repoRoot: workspace.repoRoot, issue: issue, agent: agent.name, command: agent.command,
                                     prompt: prompt, delivery: agent.prompt, path: request.path,
                                     log: home + "/logs/\(session.id).agent.log")
            var launchWithHooks = launch
            launchWithHooks.hooks = agent.hooks
            let file = try launchWithHooks.write()
            let pane: Tmux.NewPane
            do {
                pane = try tmux.newWindow(session: Tmux.sessionName(forRepo: workspace.repoRoot), window: session.id,
                                          command: [request.executable, "agent-run", "--launch", file])
            } catch {
                unlink(file)
                throw error
            }
            result.outcome = .spawned(pane)
            result.recorded = waitForRecord(issue, pid: pane.pid)
            if !result.recorded {
                result.warnings.append("the agent's supervisor (pid \(pane.pid)) has not recorded it yet; 'ppds logs \(issue.value)' shows its window")
            }
        } catch {
            throw PPDSError.from(error)
        }
    }

    func makePrompt(_ session: Session, request: SpawnRequest, warnings: inout [String]) -> String {
        var template = request.promptTemplate
        if template == nil {
            let found = AgentPrompt.template(repoRoot: workspace.repoRoot, home: workspace.store.home)
            if let warning = found.warning { warnings.append(warning) }
            template = found.text
        }
        let text = request.offline ? nil : IssueSource.text(session.issue, repoRoot: workspace.repoRoot)
        return AgentPrompt.render(template!, session: session, title: text?.title, body: text?.body, labels: text?.labels ?? [])
    }

    /// Waits until the supervisor with `pid` has recorded itself (or its pane is gone).
    func waitForRecord(_ issue: IssueNumber, pid: Int32) -> Bool {
        let deadline = Date().addingTimeInterval(Self.recordWait)
        while Date() < deadline {
            if let session = try? workspace.store.load(issue), session.agent?.pid == pid { return true }
            if ProcessTable.startTime(of: pid) == nil { return false }
            usleep(30_000)
        }
        return false
    }
}
