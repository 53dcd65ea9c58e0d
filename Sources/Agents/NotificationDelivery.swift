import Config
import SessionKit
import Support
import LifecycleCore

/// Runs what a session's change calls for: a desktop notification (notify-send, when on
/// PATH) and the user's `hooks.on_stuck` / `hooks.on_complete` (trusted config only). The
/// words come from View; running programs is this service's.
public struct NotificationDelivery: Sendable {
    public enum Event: String, Sendable { case stuck, complete, planReady, agentEnded }

    public let config: Config
    /// Send desktop notifications; hooks run either way.
    public let desktop: Bool

    public init(config: Config, desktop: Bool) {
        self.config = config
        self.desktop = desktop
    }

    /// `desktopArguments` are notify-send's arguments, made safe by the caller.
    public func deliver(_ event: Event, session: Session, desktopArguments: [String]) {
        if desktop, ProcessRunner.find("notify-send") != nil {
            _ = try? ProcessRunner.run(["notify-send"] + desktopArguments, timeout: 10)
        }
        let key: String, commands: [CommandSpec]
        switch event {
        case .stuck: (key, commands) = ("hooks.on_stuck", config.onStuck)
        case .complete: (key, commands) = ("hooks.on_complete", config.onComplete)
        case .planReady, .agentEnded: return  // no configured hook for them (yet): the notification alone
        }
        guard config.mayRun(key) else { return }
        var env = Hooks.environment(for: session)
        env["PPDS_EVENT"] = event.rawValue
        if let reason = session.stuck?.reason { env["PPDS_REASON"] = reason }
        if let pr = session.pr { env["PPDS_PR"] = pr }
        for command in commands where Hooks.formatHazard(command, for: session) == nil {
            _ = try? ProcessRunner.run(Hooks.argv(command, for: session), in: session.repo, environment: env, timeout: 60)
        }
    }
}
