import Foundation
import Agents
import Lifecycle
import LifecycleCore
import SessionKit
import Support
import View

/// `ppds watch` with a terminal on stdin and stdout: the view you can act in. Keys go through
/// `WatchKeys` (key → action) and `WatchState` (action → state and effect), both pure; this
/// type only carries the effects out with the Lifecycle operations the verbs use (`guide`,
/// `approve`, `revise`, `pause`, `resume`) and runs `ppds attach` / `ppds logs` by argv.
struct WatchInteractive {
    let workspace: Workspace
    let options: StatusReport.Options
    let notifier: Notifier?
    let interval: TimeInterval
    let count: Int?
    /// Made before the first view is built, so no change is missed; from then on only the
    /// terminal's thread uses it.
    let watcher: ChangeWatcher

    /// Lines of the worker's log `l` asks `ppds logs` for.
    static let logLines = 2000

    func run() throws {
        let terminal = try WatchTerminal()
        defer { terminal.leave() }
        terminal.watchChanges(watcher)
        let home = ProcessInfo.processInfo.environment["HOME"]
        var state = WatchState()
        var report = try build()
        var fingerprints = Self.fingerprints(report)
        var changes: [IssueNumber: String] = [:]
        var built = 1
        var rebuild = false
        var bell = false
        while true {
            if rebuild {
                rebuild = false
                report = try build()
                changes = WatchScreen.changes(from: fingerprints, to: report)
                fingerprints = Self.fingerprints(report)
                bell = changes.values.contains("stuck")
                built += 1
            }
            let rows = WatchRow.rows(report, changes: changes, now: report.generatedAt, home: home)
            state.reconcile(rows)
            let size = WatchTerminal.size()
            let frame = WatchFrame.render(rows, state: state, header: header(report),
                                          stamp: Timestamp.format(report.generatedAt) + " — ? keys", width: size.width, height: size.height,
                                          color: CLI.useColor)
            state.listTop = frame.listTop
            terminal.draw(frame.lines, bell: bell)
            bell = false
            if let count, built >= count { return }
            switch terminal.next(timeout: interval) {
            case .keys(let keys):
                for key in keys {
                    let action = WatchKeys.action(for: key, in: state.mode)
                    guard let effect = state.apply(action, rows: rows, page: max(1, size.height - 3)) else { continue }
                    if effect == .quit { return }
                    perform(effect, state: &state, terminal: terminal, page: max(1, size.height - 3))
                    rebuild = true
                }
            case .resized: terminal.invalidate()
            case .changed, .timedOut: rebuild = true
            case .closed: return
            }
        }
    }

    private func build() throws -> StatusReport {
        let report = try StatusReport.build(workspace, options: options)
        if let notifier { _ = notifier.observe(report) }
        return report
    }

    private static func fingerprints(_ report: StatusReport) -> [IssueNumber: String] {
        Dictionary(uniqueKeysWithValues: report.sessions.map { ($0.session.issue, WatchScreen.fingerprint($0)) })
    }

    private func header(_ report: StatusReport) -> String {
        let count = report.sessions.count == 1 ? "1 session" : "\(report.sessions.count) sessions"
        let problems = report.problems.filter { $0.group == .problems }.count
        let note = problems == 0 ? "" : " — \(problems) problem\(problems == 1 ? "" : "s") ('ppds status')"
        return "ppds watch — \(count)\(note)"
    }

    /// Carries out one effect; what happened (or why not) goes to the status line.
    private func perform(_ effect: WatchEffect, state: inout WatchState, terminal: WatchTerminal, page: Int) {
        let store = workspace.store
        let safe = { (text: String) in TerminalText.escaped(text) }
        do {
            switch effect {
            case .quit:
                return
            case .attach(let issue):
                let result = terminal.runHandingOver(ppds(["attach", "\(issue.value)"]))
                if result.status != 0 { state.message = "attach \(issue.tag) failed: " + Self.lastLine(result.stderr) }
            case .log(let issue):
                let output = try ProcessRunner.run(ppds(["logs", "\(issue.value)", "--lines", "\(Self.logLines)"]),
                                                   in: workspace.repoRoot, timeout: 30, outputLimit: 8 << 20)
                guard output.status == 0 else {
                    state.message = "logs \(issue.tag) failed (\(output.summary)): " + Self.lastLine(output.stderr)
                    return
                }
                let lines = WatchLog.lines(of: output.stdout)
                state.mode = .log(WatchLog(issue: issue, lines: lines, top: max(0, lines.count - (page - 1))))
            case .answer(let issue, let option):
                let session = try SessionChanges.apply(.guide(message: option), to: issue, in: store, workspace: workspace)
                state.message = "\(issue.tag) answered: \(safe(option)); the session is \(safe(session.status.fileValue))"
            case .guide(let issue, let message):
                let session = try SessionChanges.apply(.guide(message: message), to: issue, in: store, workspace: workspace)
                state.message = safe(GuideCommand.sent(session))
            case .approve(let issue, let version):
                let done = try PlanReview.answer(.approved, message: nil, version: version, issue: issue, in: store, workspace: workspace,
                                                 by: PlanReview.reviewer(home: store.home))
                state.message = "\(issue.tag) plan v\(done.version.version) approved; the session is \(safe(done.session.status.fileValue))"
            case .revise(let issue, let message, let version):
                let done = try PlanReview.answer(.revise, message: message, version: version, issue: issue, in: store, workspace: workspace,
                                                 by: PlanReview.reviewer(home: store.home))
                state.message = "\(issue.tag) plan v\(done.version.version) sent back; the session is \(safe(done.session.status.fileValue))"
            case .pause(let issue):
                let session = try SessionChanges.apply(.pause, to: issue, in: store, workspace: workspace)
                state.message = safe(SessionSwitch.pause.said(session))
            case .resume(let issue):
                let session = try SessionChanges.apply(.resume, to: issue, in: store, workspace: workspace)
                state.message = safe(SessionSwitch.resume.said(session))
            }
        } catch {
            let message = PPDSError.from(error).message
            state.message = TerminalText.escaped(message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message)
        }
    }

    /// This ppds, run by argv on this repository.
    private func ppds(_ arguments: [String]) -> [String] {
        [CLI.executablePath] + arguments + ["--repo", workspace.repoRoot]
    }

    /// A program's last words, for the one-line status: its last non-empty line, escaped.
    static func lastLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return TerminalText.escaped(line.map(String.init) ?? "(no message)")
    }
}
