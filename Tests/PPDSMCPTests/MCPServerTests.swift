import Foundation
import MCP
import SystemPackage
import Testing
import TestSupport

/// `ppds mcp` driven by the SDK's own client over a real stdio pipe to the real binary.
final class MCPSession: @unchecked Sendable {
    let process = Process()
    let client = Client(name: "ppds-tests", version: "1")
    private let toServer = Pipe()
    private let fromServer = Pipe()

    init(_ fixture: GitFixture, arguments: [String] = ["mcp"], environment: [String: String] = [:]) async throws {
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": fixture.home]) { $1 }.merging(environment) { $1 }
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        try process.run()
        let transport = StdioTransport(input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
                                       output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        _ = try await client.connect(transport: transport)
    }

    /// The tool's JSON document, parsed.
    func call(_ name: String, _ arguments: [String: Value] = [:]) async throws -> [String: Any] {
        let (content, isError) = try await client.callTool(name: name, arguments: arguments)
        #expect(isError != true)
        guard case .text(let text, _, _)? = content.first,
              let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("\(name) gave no JSON text: \(content)")
            return [:]
        }
        return object
    }

    /// Closing stdin ends the server; it exits 0.
    func close() async -> Int32 {
        await client.disconnect()
        try? toServer.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct MCPServerTests {
    @Test func toolsReturnTheCLIsDocuments() async throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "1", "2", "--offline"]).check()
        let mcp = try await MCPSession(fixture)
        let (tools, _) = try await mcp.client.listTools()
        let names = Set(tools.map(\.name))
        #expect(names.isSuperset(of: ["status", "show", "next", "guide", "pause", "resume"]))
        for tool in tools {
            guard case .object(let schema) = tool.inputSchema else { Issue.record("\(tool.name): no schema"); continue }
            #expect(schema["type"] == "object", "\(tool.name)")
        }
        let status = try await mcp.call("status")
        let cli = try fixture.ppds(["status", "--json"]).check().json()
        #expect(status["version"] as? Int == 1)
        func digest(_ document: [String: Any]) -> [String] {
            ((document["sessions"] as? [[String: Any]]) ?? []).map { "\($0["issue"] ?? "") \($0["status"] ?? "") \($0["branch"] ?? "") \($0["group"] ?? "")" }
        }
        #expect(digest(status) == digest(cli))
        #expect(digest(status).count == 2)
        let show = try await mcp.call("show", ["issue": 2])
        #expect((show["session"] as? [String: Any])?["branch"] as? String == "feat/issue-2")
        // A change through MCP is the CLI's change: the session file says so.
        let paused = try await mcp.call("pause", ["issue": "#1"])
        #expect((paused["session"] as? [String: Any])?["status"] as? String == "paused")
        #expect((try fixture.ppds(["show", "1", "--json"]).check().json()["session"] as? [String: Any])?["status"] as? String == "paused")
        _ = try await mcp.call("resume", ["issue": "work-1"])
        #expect(await mcp.close() == 0)
    }

    @Test func theNextQuestionIsAnsweredThroughGuide() async throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "3", "4", "--offline"]).check()
        let mcp = try await MCPSession(fixture)
        #expect(try await mcp.call("next")["next"] is NSNull)
        try fixture.ppds(["update", "4", "--status", "stuck", "--reason", "which algorithm?", "--option", "A*", "--option", "Dijkstra"]).check()
        let next = try await mcp.call("next")
        let session = next["session"] as? [String: Any] ?? next["next"] as? [String: Any]
        #expect(session?["issue"] as? String == "#4")
        #expect(next["waiting"] as? Int == 1)
        _ = try await mcp.call("guide", ["issue": 4, "message": "Dijkstra"])
        #expect(try await mcp.call("next")["next"] is NSNull)
        let shown = try fixture.ppds(["show", "4", "--json"]).check().json()["session"] as? [String: Any]
        #expect((shown?["guidance"] as? [[String: Any]])?.last?["message"] as? String == "Dijkstra")
        #expect(await mcp.close() == 0)
    }

    /// Errors are MCP errors whose code and message carry the product's kind; a typo'd or
    /// missing argument is invalid params; nothing is guessed.
    @Test func errorsCarryTheProductsKinds() async throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "5", "--offline"]).check()
        let mcp = try await MCPSession(fixture)
        func failure(_ name: String, _ arguments: [String: Value]) async -> MCPError? {
            do { _ = try await mcp.client.callTool(name: name, arguments: arguments); return nil } catch { return error as? MCPError }
        }
        let missing = await failure("show", ["issue": 99])
        #expect(missing?.code == -32004)
        #expect(missing?.errorDescription?.contains("notFound") == true)
        #expect(await failure("show", [:])?.code == -32602)
        #expect(await failure("show", ["issue": "x7"])?.code == -32602)
        #expect(await failure("pause", ["issue": 5, "force": true])?.code == -32602)
        #expect(await failure("guide", ["issue": 5, "message": "  "])?.code == -32602)
        #expect(await failure("nope", [:])?.code == -32601)
        _ = try await mcp.call("pause", ["issue": 5])
        let twice = await failure("pause", ["issue": 5])
        #expect(twice?.code == -32009, "\(String(describing: twice))")
        #expect(await mcp.close() == 0)
    }

    /// Subscribed to ppds://attention, the client hears when a session gets stuck, without polling.
    @Test func aStuckSessionIsNotified() async throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "6", "--offline"]).check()
        let mcp = try await MCPSession(fixture)
        let (resources, _) = try await mcp.client.listResources()
        #expect(Set(resources.map(\.uri)).isSuperset(of: ["ppds://sessions", "ppds://attention", "ppds://sessions/6"]))
        let heard = Heard()
        await mcp.client.onNotification(ResourceUpdatedNotification.self) { message in
            await heard.add(message.params.uri)
        }
        try await mcp.client.subscribeToResource(uri: "ppds://attention")
        try await Task.sleep(for: .milliseconds(300))
        try fixture.ppds(["update", "6", "--status", "stuck", "--reason", "need a decision"]).check()
        // Under load the change feed's 2 s re-read may be what sees it: allow for a slow machine.
        let deadline = Date().addingTimeInterval(30)
        while await !heard.contains("ppds://attention") && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await heard.contains("ppds://attention"))
        let contents = try await mcp.client.readResource(uri: "ppds://attention")
        guard let text = contents.first?.text,
              let attention = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("no attention document"); return
        }
        #expect((attention["stuck"] as? [[String: Any]])?.map { $0["issue"] as? String } == ["#6"])
        #expect(await mcp.close() == 0)
    }

    @Test func installMergesIntoTheRepositorysMCPConfig() throws {
        let fixture = try GitFixture()
        let file = fixture.repo + "/.mcp.json"
        let printed = try fixture.ppds(["mcp", "install", "claude"]).check().json()
        let servers = printed["mcpServers"] as? [String: Any]
        #expect((servers?["ppds"] as? [String: Any])?["args"] as? [String] == ["mcp"])
        #expect(!FileManager.default.fileExists(atPath: file))
        try "{\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\", \"args\": [1.50]}\n  },\n  \"keep\": true\n}\n".write(toFile: file, atomically: true, encoding: .utf8)
        try fixture.ppds(["mcp", "install", "claude", "--write"]).check()
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("1.50"))
        let merged = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(merged?["keep"] as? Bool == true)
        #expect(Set(((merged?["mcpServers"] as? [String: Any]) ?? [:]).keys) == ["other", "ppds"])
        let again = try fixture.ppds(["mcp", "install", "claude", "--write", "--json"]).check().json()
        #expect((again["result"] as? [String: Any])?["changed"] as? Bool == false)
        try "[1]".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try fixture.ppds(["mcp", "install", "claude", "--write"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(".mcp.json: the top level is a list, not an object"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "[1]")
    }
}

/// The loop's two ends over MCP: the tracker's issues, start, plan review, and a prune that is a
/// dry run unless asked.
@Suite struct MCPOrchestratorToolTests {
    @Test func fromTheIssueListToAnApprovedPlan() async throws {
        let fixture = try GitFixture()
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        // A stand-in gh: the issue list in gh's shape (gh issue list --json number,title,labels,assignees,updatedAt,url).
        let list = #"[{"number":12,"title":"Add login","labels":[{"name":"ready"}],"assignees":[],"updatedAt":"2026-12-01T10:00:00Z","url":"https://github.com/o/r/issues/12"},{"number":13,"title":"Fix <b>crash</b>","labels":[],"assignees":[],"updatedAt":"2026-12-02T10:00:00Z","url":"https://github.com/o/r/issues/13"}]"#
        try list.write(toFile: fixture.folder.file("issues.json"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\ncase \"$1 $2\" in\n  \"issue list\") cat \(fixture.folder.file("issues.json")) ;;\n  *) echo 'not recorded' >&2; exit 1 ;;\nesac\n"
            .write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let mcp = try await MCPSession(fixture, environment: ["PATH": path])
        // The stand-in does not filter (gh does): both come back, the one untouched longest first.
        let issues = try await mcp.call("issues", ["labels": ["ready"]])
        #expect((issues["issues"] as? [[String: Any]])?.compactMap { $0["number"] as? Int } == [12, 13], "\(issues)")
        let started = try await mcp.call("start_work", ["issues": [12], "offline": true])
        #expect((started["results"] as? [[String: Any]])?.first?["outcome"] as? String == "started", "\(started)")
        // The worker plans; the orchestrator reads and approves it through MCP.
        try fixture.ppds(["update", "12", "--status", "planning_complete", "--plan", "-"], environment: ["PATH": path],
                         stdin: "1. Add the form\n2. Test it\n").check()
        let plan = try await mcp.call("plan", ["issue": 12])
        #expect(((plan["plan"] as? [String: Any])?["text"] as? String)?.hasPrefix("1. Add the form") == true, "\(plan)")
        let version = (plan["plan"] as? [String: Any])?["version"] as? Int ?? 0
        let approved = try await mcp.call("approve", ["issue": 12, "version": .int(version), "message": "go"])
        #expect(approved["verdict"] as? String == "approved")
        #expect(approved["status"] as? String == "working")
        #expect(await mcp.close() == 0)
    }

    /// PR and CI state over MCP: `status` with `prs` asks the forge; `show` carries the cached state.
    @Test func prAndCIStateReachTheOrchestrator() async throws {
        let fixture = try GitFixture()
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        // gh pr view <url> --json state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName
        let pr = #"{"headRefName":"feat/issue-51","isDraft":false,"mergeCommit":null,"mergedAt":null,"reviewDecision":"CHANGES_REQUESTED","state":"OPEN","statusCheckRollup":[{"__typename":"CheckRun","name":"lint","status":"COMPLETED","conclusion":"FAILURE","workflowName":"CI"}]}"#
        try pr.write(toFile: fixture.folder.file("pr.json"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\ncase \"$1 $2\" in\n  \"pr view\") cat \(fixture.folder.file("pr.json")) ;;\n  *) exit 1 ;;\nesac\n"
            .write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        try fixture.ppds(["start-work", "51", "--offline"]).check()
        try fixture.ppds(["ship", "51", "--pr", "https://github.com/o/r/pull/9", "--force"]).check()
        let mcp = try await MCPSession(fixture, environment: ["PATH": path])
        let status = try await mcp.call("status", ["prs": true])
        let session = (status["sessions"] as? [[String: Any]])?.first
        #expect((session?["pullRequest"] as? [String: Any])?["ci"] as? String == "failing", "\(status)")
        let show = try await mcp.call("show", ["issue": 51])
        let summary = ((show["session"] as? [String: Any])?["pullRequest"] as? [String: Any])?["summary"] as? String
        #expect(summary?.contains("CI failing: lint") == true, "\(show)")
        #expect(await mcp.close() == 0)
    }

    /// A report with a failed item is an error result, as the CLI exits 1 for it.
    @Test func aReportWithAFailedItemSaysIsError() async throws {
        let fixture = try GitFixture()
        let mcp = try await MCPSession(fixture)
        let (content, isError) = try await mcp.client.callTool(name: "start_work", arguments: ["issues": [41], "offline": true, "base": "no-such-ref"])
        #expect(isError == true, "\(content)")
        let (_, fine) = try await mcp.client.callTool(name: "start_work", arguments: ["issues": [42], "offline": true])
        #expect(fine == false)
        #expect(await mcp.close() == 0)
    }

    @Test func pruneIsADryRunUnlessRemovalIsAsked() async throws {
        let fixture = try GitFixture()
        try fixture.ppds(["start-work", "21", "--offline"]).check()
        try fixture.ppds(["update", "21", "--status", "complete", "--force"]).check()
        let worktree = try #require(try fixture.ppds(["path", "21"]).check().stdout.split(separator: "\n").first.map(String.init))
        let mcp = try await MCPSession(fixture)
        let dry = try await mcp.call("prune", ["issues": [21]])
        #expect(dry["dryRun"] as? Bool == true || (dry["results"] as? [[String: Any]])?.first?["outcome"] as? String != "removed", "\(dry)")
        #expect(FileManager.default.fileExists(atPath: worktree))
        let tools = try await mcp.client.listTools().tools
        #expect(tools.first { $0.name == "prune" }?.annotations.readOnlyHint == false)
        #expect(tools.first { $0.name == "status" }?.annotations.readOnlyHint == true)
        #expect(await mcp.close() == 0)
    }

    /// A client that closes its end mid-call: the call finishes before the process exits (before,
    /// the process exited at once and a start_work of 40 issues stopped after a few).
    @Test func aCallRunningWhenTheClientLeavesFinishes() throws {
        let fixture = try GitFixture()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["mcp"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": fixture.home]) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let issues = Array(400..<430)
        let lines = [
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"start_work","arguments":{"offline":true,"issues":"# + "\(issues)" + "}}}",
        ]
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        usleep(300_000)
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let sessions = (try fixture.ppds(["status", "--json"]).check().json()["sessions"] as? [[String: Any]]) ?? []
        #expect(sessions.count == issues.count, "\(sessions.count) of \(issues.count) sessions were started")
    }
}

actor Heard {
    private var uris: [String] = []
    func add(_ uri: String) { uris.append(uri) }
    func contains(_ uri: String) -> Bool { uris.contains(uri) }
}
