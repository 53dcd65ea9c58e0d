import ArgumentParser
import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

struct WatchCommand: PPDSCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "The orchestrator view, kept live: redrawn when session files or git refs change.",
        discussion: """
            On a terminal it is a view you can act in: arrows (or j/k) choose a session, Enter \
            attaches to its worker, a digit answers a stuck session, g types guidance, a/r approve \
            or send back a plan, p pauses or resumes, l shows the worker's log, ? lists the keys, \
            q quits. Piped, it prints a new view whenever something changed.
            """)

    @OptionGroup var repo: RepoOption
    @OptionGroup var sync: SyncIntervalOption
    @OptionGroup var prRefresh: PRIntervalOption
    @Option(help: "Seconds between redraws when nothing signals a change (the polling fallback).") var interval: Double = 5
    @Option(name: .customLong("stale-after"), help: "Minutes without an update before a session counts as stale.") var staleAfter: DurationArgument?
    @Option(help: "Stop after this many views (for scripts and tests).") var count: Int?
    @Flag(help: "When a session becomes stuck or complete: a desktop notification (notify-send) and hooks.on_stuck / on_complete.") var notify = false

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func execute() throws {
        let (workspace, config) = try repo.configured()
        let options = CLI.statusOptions(staleAfter: staleAfter, config: config)
        let gitDir = try workspace.openRepository().commonDir
        try PrivateFile.ensureFolder(workspace.store.sessionsDir, home: workspace.store.home)
        let watcher = ChangeWatcher { ChangeWatcher.folders(gitDir: gitDir, sessionsDir: workspace.store.sessionsDir) }
        sync.start(repo: repo)
            prRefresh.start(workspace)
        let terminal = isatty(STDOUT_FILENO) == 1
        let notifier = Notifier(config: config, home: workspace.store.home, desktop: notify)
        if notify && ProcessRunner.find("notify-send") == nil {
            CLI.printError("--notify: notify-send is not on PATH (Debian's libnotify-bin); hooks.on_stuck and on_complete still run")
        }
        // Keys need a terminal on both sides; otherwise the picture of before, unchanged.
        if terminal && isatty(STDIN_FILENO) == 1 {
            try WatchInteractive(workspace: workspace, options: options, notifier: notify ? notifier : nil, interval: interval,
                                 count: count, watcher: watcher).run()
            return
        }
        if terminal { WatchScreen.enter() }
        var previous: [IssueNumber: String] = [:]
            var previousProblems: [Problem] = []
        var drawn = 0
        while true {
            let report = try StatusReport.build(workspace, options: options)
            if notify { notifier.observe(report) }
            let changes = WatchScreen.changes(from: previous, to: report)
            // Without a terminal each view is appended: a new one only when something changed.
            let unchanged = drawn > 0 && changes.isEmpty && report.problems == previousProblems
                && Set(report.sessions.map(\.session.issue)) == Set(previous.keys)
            if !terminal && unchanged {
                _ = watcher.wait(timeout: interval)
                continue
            }
            previousProblems = report.problems
            WatchScreen.draw(report, changes: changes, terminal: terminal, first: drawn == 0)
            previous = Dictionary(uniqueKeysWithValues: report.sessions.map { ($0.session.issue, WatchScreen.fingerprint($0)) })
            drawn += 1
            if let count, drawn >= count { break }
            _ = watcher.wait(timeout: interval)
        }
        if terminal { WatchScreen.leave() }
    }
}

/// Drawing for `watch`: the same text view, what changed since the last draw, and the terminal
/// restored on Ctrl-C.
enum WatchScreen {
    /// Hides the cursor while redrawing; Ctrl-C (SIGINT), SIGTERM and SIGHUP restore it and
    /// leave.
    static func enter() {
        // A plain signal handler, not a dispatch source: with the signal ignored for the source,
        // a signal the kernel hands to another thread was dropped and watch never left.
        restoreCursorOnSignals()
        print("\u{1B}[?25l", terminator: "")
    }

    static func leave() {
        print("\u{1B}[?25h", terminator: "\n")
        fflush(nil)
    }

    static func fingerprint(_ view: SessionView) -> String {
        "\(view.session.status.fileValue)|\(view.session.lastUpdate.timeIntervalSince1970)|\(view.git.head ?? "")|\(view.git.merged?.rawValue ?? "")|\(view.pullRequest.map { "\($0.state)\($0.ci)\($0.review)" } ?? "")"
    }

    /// Per issue: "new", "changed" or "stuck" (newly stuck stands out).
    static func changes(from previous: [IssueNumber: String], to report: StatusReport) -> [IssueNumber: String] {
        guard !previous.isEmpty else { return [:] }
        var result: [IssueNumber: String] = [:]
        for view in report.sessions {
            let issue = view.session.issue
            guard let before = previous[issue] else { result[issue] = "new"; continue }
            if before != fingerprint(view) {
                let wasStuck = before.hasPrefix("stuck|")
                result[issue] = view.session.status == .stuck && !wasStuck ? "stuck" : "changed"
            }
        }
        return result
    }

    static func draw(_ report: StatusReport, changes: [IssueNumber: String], terminal: Bool, first: Bool) {
        let color = terminal && CLI.useColor
        var text = StatusText(color: color).render(report)
        for (issue, change) in changes {
            let marker: String
            switch change {
            case "stuck": marker = color ? " \u{1B}[1;33m◀ NEW STUCK\u{1B}[0m" : " ◀ NEW STUCK"
            case "new": marker = color ? " \u{1B}[32m◀ new\u{1B}[0m" : " ◀ new"
            default: marker = color ? " \u{1B}[36m◀ changed\u{1B}[0m" : " ◀ changed"
            }
            text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("   - \(issue.tag) ") ? String(line) + marker : String(line)
            }.joined(separator: "\n")
        }
        let stamp = "ppds watch — \(Timestamp.format(report.generatedAt)) — Ctrl-C to leave"
        if terminal {
            print("\u{1B}[H\u{1B}[2J" + stamp + "\n\n" + text + (changes.values.contains("stuck") ? "\u{7}" : ""))
        } else {
            print((first ? "" : "\n") + "--- " + stamp + "\n" + text)
        }
        fflush(nil)
    }
}
