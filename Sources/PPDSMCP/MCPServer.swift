import Config
import Foundation
import Lifecycle
import MCP
import SessionKit
import Support
import SystemPackage
import LifecycleCore
import Replication
import Agents
import Forge

/// `ppds mcp`: the product's operations as MCP tools and its sessions as resources, over
/// stdio, for an orchestrating agent. Built on the official SDK; ppds adds only the table of
/// tools, the resource URIs and the change feed.
public enum PPDSMCPServer {
    /// Every tool, in the order an orchestrator's loop uses them.
    static var tools: [ToolSpec] { SessionTools.all + OrchestratorTools.all }

    /// Serves until the client closes its end (or the process is signalled).
    public static func run(workspace: Workspace, config: Config, version: String) async throws {
        let (input, output) = isolatedStandardStreams()
        let context = ToolContext(workspace: workspace, config: config)
        let server = Server(
            name: "ppds", version: version,
            instructions: "ppds manages parallel work sessions (one git worktree and branch per issue) of the repository at \(workspace.repoRoot). Call 'status' for the view; 'next' for the session waiting longest for an answer, then 'guide' to answer it. Subscribe to ppds://attention to hear when a session gets stuck or its plan is ready.",
            capabilities: .init(resources: .init(subscribe: true, listChanged: true), tools: .init(listChanged: false)))
        let subscriptions = Subscriptions()
        await register(server, context: context, subscriptions: subscriptions)
        try await server.start(transport: StdioTransport(input: input, output: output))
        let feed = Task.detached { await changeFeed(server, context: context, subscriptions: subscriptions) }
        await server.waitUntilCompleted()
        feed.cancel()
        // The client closed its end: a call still running (a start_work, a prune that removes)
        // finishes before the process exits, so nothing is left half-done and no gh is orphaned.
        await InFlight.shared.drained()
        await server.stop()
    }

    static func register(_ server: Server, context: ToolContext, subscriptions: Subscriptions) async {
        let table = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: tools.map(\.tool)) }
        await server.withMethodHandler(CallTool.self) { params in
            guard let spec = table[params.name] else {
                throw MCPError.methodNotFound("no tool '\(params.name)' (tools: \(tools.map(\.name).joined(separator: ", ")))")
            }
            let arguments = ToolArguments(params.arguments)
            let output: ToolOutput
            do {
                try arguments.refuseUnknown(allowed: spec.allowed, tool: spec.name)
                output = try await offload { try spec.run(arguments, context) }
            } catch {
                throw ToolError.mcp(error)
            }
            let text = JSONWriter.write(output.document)
            return .init(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: try? JSONDecoder().decode(Value.self, from: Data(text.utf8)),
                         isError: output.someFailed)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            .init(resources: await offload { SessionResources.list(context) }, nextCursor: nil)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            do {
                let document = try await offload { try SessionResources.read(params.uri, context: context) }
                return .init(contents: [.text(JSONWriter.write(document), uri: params.uri, mimeType: "application/json")])
            } catch {
                throw ToolError.mcp(error)
            }
        }
        await server.withMethodHandler(ResourceSubscribe.self) { params in
            await subscriptions.add(params.uri)
            return .init()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { params in
            await subscriptions.remove(params.uri)
            return .init()
        }
    }

    /// Watches the session files (inotify, with a 2 s re-read as the fallback) and tells the
    /// client what changed: `resources/updated` for subscribed URIs, `resources/list_changed`
    /// when a session appears or goes.
    static func changeFeed(_ server: Server, context: ToolContext, subscriptions: Subscriptions) async {
        let sessionsDir = context.store.sessionsDir
        let mirrorDir = context.workspace.mirrorStore.sessionsDir
        let watcher = ChangeWatcher(folders: { [sessionsDir, mirrorDir] })
        var last = SessionResources.Fingerprint(context)
        while !Task.isCancelled {
            _ = watcher.wait(timeout: 2)
            if Task.isCancelled { return }
            let now = SessionResources.Fingerprint(context)
            guard now != last else { continue }
            let (updated, listChanged) = now.changes(since: last)
            last = now
            do {
                if listChanged { try await server.notify(ResourceListChangedNotification.message()) }
                for uri in updated where await subscriptions.contains(uri) {
                    try await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
                }
            } catch {
                return
            }
        }
    }

    /// The protocol's own copies of stdin and stdout. Descriptors 0 and 1 then point at
    /// /dev/null and stderr, so nothing else in the process (a stray print, a library's
    /// warning) can read from or write into the protocol's stream.
    static func isolatedStandardStreams() -> (SystemPackage.FileDescriptor, SystemPackage.FileDescriptor) {
        let input = dup(STDIN_FILENO), output = dup(STDOUT_FILENO)
        guard input >= 0, output >= 0 else { return (.standardInput, .standardOutput) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if null >= 0 { dup2(null, STDIN_FILENO); close(null) }
        dup2(STDERR_FILENO, STDOUT_FILENO)
        _ = fcntl(input, F_SETFD, FD_CLOEXEC)
        _ = fcntl(output, F_SETFD, FD_CLOEXEC)
        return (SystemPackage.FileDescriptor(rawValue: input), SystemPackage.FileDescriptor(rawValue: output))
    }

    /// Blocking file and git work off the SDK's tasks.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        InFlight.shared.begin()
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                defer { InFlight.shared.end() }
                continuation.resume(with: Result { try body() })
            }
        }
    }

    static func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        InFlight.shared.begin()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                defer { InFlight.shared.end() }
                continuation.resume(returning: body())
            }
        }
    }
}

/// How many offloaded calls are running, so that the end of input waits for them.
final class InFlight: @unchecked Sendable {
    static let shared = InFlight()
    private let lock = NSLock()
    private var running = 0

    func begin() { lock.withLock { running += 1 } }
    func end() { lock.withLock { running -= 1 } }

    /// Returns once no call runs.
    func drained() async {
        while lock.withLock({ running }) > 0 { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

/// The URIs the client subscribed to.
actor Subscriptions {
    private var uris: Set<String> = []
    func add(_ uri: String) { uris.insert(uri) }
    func remove(_ uri: String) { uris.remove(uri) }
    func contains(_ uri: String) -> Bool { uris.contains(uri) }
}
