import Foundation
import Agents
import Config
import Lifecycle
import LifecycleCore
import SessionKit
import Support
import View

/// The demo's last act: two stand-in agents (`StandInAgent`, a script that follows the worker
/// protocol) spawned in tmux windows. They plan, wait for the review, ask, wait for the answer,
/// work and ship, while the orchestrator approves, answers and reads their logs. The tmux server
/// is the demo's own socket under its folder, so the user's tmux is never touched.
struct DemoWorkers {
    let workspace: Workspace
    let config: Config
    let root: String
    let keep: Bool
    let print: (String) -> Void
    let view: () throws(PPDSError) -> Void

    /// How long the demo waits for the stand-ins at each step before it gives up.
    static let stepTimeout: TimeInterval = 60

    func run(heading: String) throws(PPDSError) {
        guard (try? Tmux.installed()) != nil else {
            print(heading + "\n(skipped: tmux is not on PATH; `bash .ci/deps` installs it)")
            return
        }
        print(heading)
        let executable = CLI.executablePath
        let socket = root + "/tmux.sock"
        let tmux = Tmux(server: .socket(socket), executable: try Tmux.installed())
        defer {
            if keep { print("The workers' tmux server: tmux -S \(socket) attach") } else { _ = try? tmux.run(["kill-server"]) }
        }
        let issues = [IssueNumber(105)!, IssueNumber(106)!]
        let known = [
            issues[0]: IssueInfo(issue: issues[0], title: "Add a search box", labels: ["enhancement"]),
            issues[1]: IssueInfo(issue: issues[1], title: "Dark mode toggle", labels: ["enhancement"]),
        ]
        let started = StartWork(workspace: workspace, config: config)
            .run(StartWorkRequest(issues: issues, known: known, jobs: 2, offline: true, runHooks: false))
        for result in started {
            guard case .started(let session) = result.outcome else {
                throw PPDSError.failed("demo: \(result.issue.tag) did not start: \(StartWorkText.describe(result))")
            }
            print("✔ \(result.issue.tag) \(session.branch) → \(session.worktree)" + (session.ports.map { " (PPDS_PORT=\($0.first))" } ?? ""))
        }
        let script = root + "/stand-in-agent.sh"
        do {
            try StandInAgent.script.write(toFile: script, atomically: true, encoding: .utf8)
        } catch {
            throw PPDSError.io("demo: cannot write \(script): \(error)")
        }
        chmod(script, 0o755)
        // An agent named in the config, as `[agents.stand-in]` would be. The stand-in calls this
        // ppds; `env` sets that by argv, no shell in between.
        var config = config
        config.agents["stand-in"] = AgentConfig(name: "stand-in", command: ["env", "PPDS_BIN=" + executable, "PPDS_STANDIN_PAUSE=0.5", script],
                                                prompt: .none)
        print("ppds spawn 105 106 --agent stand-in      ([agents.stand-in] command = [\"stand-in-agent.sh\"])")
        let spawned = try Spawn(workspace: workspace, config: config)
            .run(SpawnRequest(issues: issues, agent: .named("stand-in"), offline: true, executable: executable), tmux: tmux)
        for result in spawned {
            switch result.outcome {
            case .spawned(let pane):
                print("  \(result.issue.tag) runs in tmux window \(pane.session):work-\(result.issue.value) (pid \(pane.pid))")
            case .failed(let error):
                throw PPDSError.failed("demo: \(result.issue.tag) was not spawned: \(error.message)")
            }
        }
        try waitUntil(issues, are: .planningComplete, "both plans are attached")
        try view()
        for issue in issues {
            _ = try PlanReview.answer(.approved, message: "Go ahead.", version: nil, issue: issue, in: workspace.store,
                                      workspace: workspace, by: PlanReview.reviewer(home: workspace.store.home))
            print("ppds approve \(issue.value) \"Go ahead.\"")
        }
        try waitUntil(issues, are: .stuck, "both workers ask their question")
        try view()
        for (issue, answer) in zip(issues, ["the simple one", "the thorough one"]) {
            _ = try SessionChanges.apply(.guide(message: answer), to: issue, in: workspace.store)
            print("ppds guide \(issue.value) \"\(answer)\"")
        }
        try waitUntil(issues, are: .complete, "both workers ship")
        try waitForExits(issues)
        print("ppds logs 105 --lines 4")
        let session = try PPDSError.wrapping { try workspace.store.load(issues[0]) }
        let log = try AgentReach.logs(session, home: workspace.store.home, lines: 4, exec: false).text
        let lines = log.split(separator: "\n").map { TerminalText.escaped(String($0)) }
        print(lines.map { "  " + $0 }.joined(separator: "\n"))
        try view()
    }

    private func waitUntil(_ issues: [IssueNumber], are status: SessionStatus, _ what: String) throws(PPDSError) {
        let deadline = Date().addingTimeInterval(Self.stepTimeout)
        while Date() < deadline {
            let statuses = issues.map { (try? workspace.store.load($0))?.status }
            if statuses.allSatisfy({ $0 == status }) { return }
            if let ended = issues.first(where: { (try? workspace.store.load($0))?.agent?.exited != nil }), status != .complete {
                throw PPDSError.failed("demo: \(ended.tag)'s stand-in ended before \(what); see \(workspace.store.home)/logs/\(ended.sessionID).agent.log")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw PPDSError.failed("demo: timed out waiting until \(what)")
    }

    /// The supervisors record the stand-ins' exits just after they ship (as long as any other step
    /// may take: one run of eight here went past the 10 s this once allowed, for a reason not found).
    private func waitForExits(_ issues: [IssueNumber]) throws(PPDSError) {
        let deadline = Date().addingTimeInterval(Self.stepTimeout)
        while Date() < deadline {
            if issues.allSatisfy({ (try? workspace.store.load($0))?.agent?.exited != nil }) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let logs = issues.map { "\(workspace.store.home)/logs/\($0.sessionID).agent.log" }.joined(separator: ", ")
        throw PPDSError.failed("demo: the stand-ins' exits were not recorded; see \(logs)")
    }
}
