import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents

struct GuideCommand: JSONCommand, NamedSessionCommand {
    static let configuration = CommandConfiguration(
        commandName: "guide",
        abstract: "Relay the orchestrator's guidance to a session; without a message, ask for it.",
        discussion: """
            With no message, shows the session's question (reason, context, numbered options) \
            and reads one line: an option's number, or your own words.
            """)

    @OptionGroup var target: SessionTarget
    @Argument(help: "The guidance. Default: show the question and read the answer.") var message: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let message, message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("the guidance message is empty")
        }
    }

    func execute() throws {
        let (store, workspace, issue) = try CLI.target(issue, repo: repo)
        var text = message
        if text == nil {
            let session = try SessionChanges.reachable(issue, in: store, workspace: workspace)
            guard case .answer(let answer) = GuideCommand.ask(session) else {
                throw PPDSError.usage("no guidance given for \(issue.tag); nothing sent")
            }
            text = answer
        }
        let session = try SessionChanges.apply(.guide(message: text!), to: issue, in: store, workspace: workspace)
        CLI.report(session, json: json, line: GuideCommand.sent(session))
        if let typed = AgentReach.typeGuidance(session, home: store.home, text: text!) { CLI.printError(typed, prefixed: false) }
    }

    enum Reply { case answer(String), skip, endOfInput }

    /// Shows the question on stderr (stdout stays the command's answer) and reads one line.
    static func ask(_ session: Session) -> Reply {
        let options = session.stuck?.options ?? []
        CLI.printError(GuidePrompt.render(session) + "\n" + GuidePrompt.question(for: session), prefixed: false, newline: false)
        while true {
            guard let line = readLine(strippingNewline: true) else {
                CLI.printError("", prefixed: false)
                return .endOfInput
            }
            // Typed on a terminal, the answer is on screen already; read from a pipe, show it.
            if isatty(STDIN_FILENO) == 0 { CLI.printError(TerminalText.escaped(line), prefixed: false) }
            // A number that names no option is asked again, never relayed as words.
            if let problem = GuidePrompt.problem(with: line, options: options) {
                CLI.printError(problem + "\n" + GuidePrompt.question(for: session), prefixed: false, newline: false)
                continue
            }
            return GuidePrompt.guidance(from: line, options: options).map(Reply.answer) ?? .skip
        }
    }

    static func sent(_ session: Session) -> String {
        "\(session.issue.tag) guided (\(session.guidance.count) message\(session.guidance.count == 1 ? "" : "s") so far); the session is \(session.status.fileValue)"
    }
}
