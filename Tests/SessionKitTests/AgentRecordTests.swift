import Foundation
import Testing
import SessionKit
import Support

@Suite struct AgentRecordTests {
    static func session() -> Session {
        Session(issue: IssueNumber(7)!, status: .working, branch: "fix/seven", worktree: "/tmp/w7",
                started: Timestamp.parse("2026-01-01T10:00:00Z")!)
    }

    @Test func anAgentAndItsPortsSurviveARewrite() throws {
        var session = Self.session()
        session.agent = AgentRecord(
            name: "claude", command: ["claude", "--permission-mode", "plan"], machine: "m-1", pid: 4242, pidStart: 991,
            started: Timestamp.parse("2026-01-01T10:01:00Z")!,
            tmux: .init(socket: "/tmp/tmux-1000/default", session: "ppds-repo", window: "@3", pane: "%5"),
            log: "/home/me/.ppds/logs/work-7.agent.log", exited: Timestamp.parse("2026-01-01T11:00:00Z")!, exitCode: nil, signal: 9,
            extra: ["future": .bool(true)])
        session.ports = PortBlock(first: 41000, count: 10)
        let again = try Session.decode(session.encoded(), file: "work-7.json")
        #expect(again == session)
        #expect(again.ports?.range == 41000...41009)
    }

    @Test(arguments: [
        (#""agentProcess": 3"#, "'agentProcess' is a number"),
        (#""agentProcess": {"command": [], "started": "2026-01-01T10:00:00Z"}"#, "'agentProcess.name'"),
        (#""agentProcess": {"name": "x", "command": ["a", 1], "started": "2026-01-01T10:00:00Z"}"#, "'agentProcess.command'"),
        (#""agentProcess": {"name": "x", "command": [], "started": "2026-01-01T10:00:00Z", "pid": -1}"#, "'agentProcess.pid'"),
        (#""agentProcess": {"name": "x", "command": [], "started": "2026-01-01T10:00:00Z", "pid": 99999999999}"#, "'agentProcess.pid'"),
        (#""agentProcess": {"name": "x", "command": [], "started": "yesterday"}"#, "'agentProcess.started'"),
        (#""agentProcess": {"name": "x", "command": [], "started": "2026-01-01T10:00:00Z", "tmux": {"socket": 1}}"#, "'agentProcess.tmux'"),
        (#""ports": {"first": 65530, "count": 10}"#, "'ports'"),
        (#""ports": {"first": 0, "count": 10}"#, "'ports'"),
        (#""ports": "41000""#, "'ports'"),
    ])
    func aBadAgentOrPortsKeyIsNamed(key: String, expected: String) {
        let text = """
        {"id": "work-7", "status": "working", "issue": "#7", "branch": "fix/seven", "worktree": "/tmp/w7",
         "started": "2026-01-01T10:00:00Z", "lastUpdate": "2026-01-01T10:00:00Z", "stuck": null, \(key)}
        """
        #expect {
            try Session.decode(Data(text.utf8), file: "work-7.json")
        } throws: { error in
            "\(error)".contains("work-7.json") && "\(error)".contains(expected)
        }
    }
}
