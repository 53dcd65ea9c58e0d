import ArgumentParser
import Lifecycle
import SessionKit
import Support

/// `pause` and `resume`: a human stops a session's worker, or lets it go on; each is one change
/// to one session, said in one line.
struct SessionSwitch: Sendable {
    let name: String
    let abstract: String
    let change: SessionChange
    let said: @Sendable (Session) -> String

    static let pause = SessionSwitch(name: "pause", abstract: "Pause a session; its worker's updates are refused until 'ppds resume'.",
                                     change: .pause) { session in
        "\(session.issue.tag) paused" + (session.pausedFrom.map { " (was \($0.fileValue)); 'ppds resume \(session.issue.value)' returns to it" } ?? "")
    }

    static let resume = SessionSwitch(name: "resume", abstract: "Resume a paused session in the status it was paused from.",
                                      change: .resume) { session in "\(session.issue.tag) resumed: \(session.status.fileValue)" }
}

protocol SessionSwitchCommand: JSONCommand, NamedSessionCommand {
    static var switched: SessionSwitch { get }
}

extension SessionSwitchCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: switched.name, abstract: switched.abstract)
    }

    func execute() throws {
        let session = try CLI.apply(Self.switched.change, to: issue, repo: repo)
        CLI.report(session, json: json, line: Self.switched.said(session))
    }
}

struct PauseCommand: SessionSwitchCommand {
    static let switched = SessionSwitch.pause
    @OptionGroup var target: SessionTarget
    @OptionGroup var output: OutputOptions
}
