import ArgumentParser
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check git against the session files; --fix applies the repairs that lose nothing.")

    @OptionGroup var repo: RepoOption
    @Flag(help: "Repair what can be repaired without losing anything, then re-check.") var fix = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let workspace = try repo.workspace()
            let config = try Config.load(home: workspace.store.home, repoRoot: workspace.repoRoot)
            var doctor = Doctor(workspace: workspace)
            if let staleAfter = config.staleAfter { doctor.staleAfter = staleAfter }
            let report = try doctor.run(fix: fix)
            if json {
                CLI.printJSON(report.json)
            } else {
                print(Self.render(report, fixed: fix))
            }
            if !report.healthy { throw ExitCode(1) }
        }
    }

    static func render(_ report: DoctorReport, fixed: Bool) -> String {
        var lines: [String] = []
        if report.found.isEmpty { return "✔ healthy: git and the session files agree." }
        lines.append("Found \(report.found.count) problem\(report.found.count == 1 ? "" : "s"):")
        for problem in report.found { lines.append(describe(problem)) }
        if fixed {
            lines.append("Repairs:")
            lines += report.repairs.isEmpty ? ["   (none applied)"] : report.repairs.map { "   - \(TerminalText.escaped($0))" }
            if report.remaining.isEmpty {
                lines.append("✔ healthy after repairs.")
            } else {
                lines.append("Still left (\(report.remaining.count)); these need a human:")
                for problem in report.remaining { lines.append(describe(problem)) }
            }
        } else if report.found.contains(where: \.fixable) {
            lines.append("Run 'ppds doctor --fix' to repair the ones marked [fixable].")
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ problem: DoctorProblem) -> String {
        let who = problem.issue.map { "\($0.tag) " } ?? ""
        return "   - \(problem.kind.rawValue) \(who)\(problem.fixable ? "[fixable] " : "")\(TerminalText.escaped(problem.message))"
    }
}
