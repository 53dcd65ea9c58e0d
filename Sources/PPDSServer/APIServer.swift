import Foundation
import Hummingbird
import Logging
import NIOCore
import HummingbirdCore
import Config
import Lifecycle
import Support
import View
import ServiceLifecycle
import SessionKit
import LifecycleCore

/// `ppds serve`: the session registry over HTTP. Session files stay the source of truth:
/// writes go through the same `SessionChanges` as the CLI, and one watcher (a `Service` of the
/// application) turns file and ref changes, from the API or a terminal, into a fresh view and
/// events.
public struct APIServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 3847
        public var notify = false
        public var interval: TimeInterval = 5
        public var status = StatusReport.Options()
        /// Largest accepted request body.
        public var maxBody = 64 * 1024
        /// How long a graceful shutdown may take before it becomes cancellation.
        public var shutdownLimit: Swift.Duration = .seconds(5)
        /// Connections served at once (fewer when the open-file limit is low); the next ones get 503.
        public var maxConnections = 128
        /// How long a connection may take to send a request head, and may stay idle between
        /// requests, before it is closed; also the limit for reading a request body.
        public var idleTimeout: TimeInterval = 10

        public init() {}
    }

    public let workspace: Workspace
    public let config: Config
    public let options: Options
    public let logger: Logger
    let security: Security
    let hub = EventHub()
    let view: LiveView
    let gate: ConnectionGate

    /// Makes a new token (`$PPDS_HOME/serve-token`, 0600). `logger` defaults to
    /// warnings and errors only, or the level in `LOG_LEVEL`.
    public init(workspace: Workspace, config: Config, options: Options, logger: Logger? = nil) throws(PPDSError) {
        self.workspace = workspace
        self.config = config
        self.options = options
        self.logger = logger ?? Self.defaultLogger()
        security = try Security.forBind(host: options.host, home: workspace.store.home)
        gate = ConnectionGate(limit: .fitting(maximum: options.maxConnections))
        let notifier = options.notify ? Notifier(config: config, home: workspace.store.home, desktop: true) : nil
        let folders = (try? workspace.openRepository().commonDir).map { gitDir in
            let sessionsDir = workspace.store.sessionsDir
            return { @Sendable in ChangeWatcher.folders(gitDir: gitDir, sessionsDir: sessionsDir) }
        }
        try? PrivateFile.ensureFolder(workspace.store.sessionsDir, home: workspace.store.home)
        view = LiveView(workspace: workspace, options: options.status, hub: hub, notifier: notifier, folders: folders)
    }

    /// The token this server made at its start (also in `$PPDS_HOME/serve-token`).
    public var token: String { security.token }

    public static func defaultLogger() -> Logger {
        var logger = Logger(label: "ppds.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }

    /// The routes, with their middlewares, on this server's state.
    public func buildRouter() -> Router<BasicRequestContext> {
        PPDSServer.buildRouter(handlers)
    }

    var handlers: Handlers {
        Handlers(workspace: workspace, security: security, hub: hub, view: view, maxBody: options.maxBody,
                 bodyTimeout: .milliseconds(Int64(options.idleTimeout * 1000)))
    }

    /// The watcher service.
    func watcher() throws(PPDSError) -> ReportWatcher {
        let gitDir = try workspace.openRepository().commonDir
        return ReportWatcher(view: view, hub: hub, gitDir: gitDir, sessionsDir: workspace.store.sessionsDir,
                             interval: options.interval, logger: logger)
    }

    /// The application: the router, the watcher as a service, the bind address.
    /// `onListening` gets the URL once the socket is bound.
    public func application(onListening: @escaping @Sendable (String) -> Void = { _ in })
        throws(PPDSError) -> some ApplicationProtocol {
        let host = options.host
        let gate = gate
        // Hummingbird's idle timeout runs from the moment a connection opens, and its clock
        // moves only when a whole request head (or body part) has been parsed, so it is also
        // the header timeout: a client that trickles a head byte by byte is closed after it.
        // It never closes a connection whose response is being written (an event stream).
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionGateHandler(gate: gate)],
                                               idleTimeout: .milliseconds(Int64(options.idleTimeout * 1000)))
        return Application(
            router: buildRouter(),
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(host, port: options.port), serverName: "ppds",
                                 availableConnectionsDelegate: MaximumAvailableConnections(gate.limit.total, logger: logger)),
            services: [try watcher()],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                onListening("http://\(shown):\(port)")
            },
            logger: logger
        )
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully: event streams end, requests
    /// in progress finish, the watcher stops.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws(PPDSError) {
        // The first view is the baseline of events and notifications, built before the
        // server answers.
        await view.refresh()
        let app = try application(onListening: onListening)
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownLimit
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await hub.finishAll()
            throw bindFailure(error) ?? PPDSError.failed("serve: \(error)")
        }
        await hub.finishAll()
    }

    /// A bind error, said plainly.
    func bindFailure(_ error: any Error) -> PPDSError? {
        guard let error = error as? IOError else { return nil }
        let address = options.host.contains(":") && !options.host.hasPrefix("[") ? "[\(options.host)]" : options.host
        switch error.errnoCode {
        case EADDRINUSE:
            return .failed("port \(options.port) is already in use (\(address)); stop the other server or pick another with --port")
        case EACCES:
            return .failed("no permission to listen on port \(options.port) (\(address))")
        case EADDRNOTAVAIL:
            return .failed("\(options.host) is not an address of this machine")
        default:
            return .failed("cannot listen on \(address):\(options.port): \(error)")
        }
    }
}
