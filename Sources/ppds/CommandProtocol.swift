import ArgumentParser
import Foundation
import Support
import LifecycleCore

/// `--json`, on every command that can answer in JSON.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON.") var json = false
}

/// What every ppds command shares (as SwiftPM's `SwiftCommand`): `run()` runs `execute()` and
/// turns a failure into the contract's message and exit code, as a JSON document on stdout too
/// when this run answers in JSON.
protocol PPDSCommand: ParsableCommand {
    /// The command's work. A failure is thrown (a `PPDSError`, or anything `PPDSError.from`
    /// knows); an exit code the command picks itself (a report with failures) is an `ExitCode`.
    func execute() throws

    /// Whether this run answers in JSON: its parsed `--json` (see `JSONCommand`), never a word
    /// found in the raw arguments (those after `--exec` belong to another program).
    var json: Bool { get }
}

extension PPDSCommand {
    var json: Bool { false }

    func run() throws {
        try CLI.run(json: json, execute)
    }
}

/// A command that takes `--json`: it declares `@OptionGroup var output: OutputOptions`.
protocol JSONCommand: PPDSCommand {
    var output: OutputOptions { get }
}

extension JSONCommand {
    var json: Bool { output.json }
}

/// `PPDSCommand` for a command whose work is async (`serve`).
protocol AsyncPPDSCommand: AsyncParsableCommand {
    func execute() async throws
}

extension AsyncPPDSCommand {
    func run() async throws {
        do { try await execute() } catch { throw CLI.exitCode(for: error, json: false) }
    }
}

extension ExitCode {
    /// The exit code of a failure of this kind, for a command that reports its failures itself
    /// (a report with a failed item is `.failed`, exit 1).
    init(_ reason: PPDSError.Reason) {
        self.init(reason.exitCode)
    }
}

extension CLI {
    /// Runs a command body; maps failures to a message on stderr and the contract's exit code.
    static func run(json: Bool, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw exitCode(for: error, json: json)
        }
    }

    /// The exit for a command's failure, once it is reported (an `ExitCode` the command chose
    /// is passed on as it is).
    static func exitCode(for error: any Error, json: Bool) -> ExitCode {
        if let code = error as? ExitCode { return code }
        let failure = PPDSError.from(error)
        fail(failure, json: json)
        return ExitCode(failure.exitCode)
    }

    /// Reports a failure: the message on stderr (the contract's place for messages), and with
    /// `json` also as a JSON document on stdout, so a script reading stdout gets JSON.
    static func fail(_ failure: PPDSError, json: Bool) {
        if json {
            var fields: [String: JSONValue] = ["kind": .string(failure.reason.rawValue), "message": .string(failure.message),
                                               "exitCode": .int(Int64(failure.exitCode))]
            if let detail = failure.detail { fields["detail"] = .string(detail) }
            printJSON(.document("error", .object(fields)))
        }
        printError(failure.message)
        if verbose, let detail = failure.detail { printError("detail: " + detail) }
    }

    /// `--verbose` anywhere on the command line (taken out before parsing): lower layers' own
    /// words (libgit2's) after a failure.
    nonisolated(unsafe) static var verbose = false
}
