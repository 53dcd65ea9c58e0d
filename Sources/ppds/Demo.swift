import Foundation
import Synchronization
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Agents
import Forge
import Replication

/// `ppds demo`: the whole lifecycle on a throwaway repository made from `Fixtures/demo-repo`,
/// with the orchestrator view printed between steps. The git CLI stands in for the outside
/// world (workers committing, a forge merging PRs); ppds itself works through its library.
public struct Demo {
    public var keep: Bool
    public var color: Bool
    public var print: (String) -> Void

    public init(keep: Bool = false, color: Bool = false, print: @escaping (String) -> Void = { Swift.print($0) }) {
        self.keep = keep
        self.color = color
        self.print = print
    }

    /// `Fixtures/demo-repo`: from PPDS_FIXTURES, next to the built binary, or in the source tree.
    public static func fixtureFolder() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PPDS_FIXTURES"] { candidates.append(env) }
        var executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<5 {
            executable.deleteLastPathComponent()
            candidates.append(executable.path + "/Fixtures")
        }
        var source = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { source.deleteLastPathComponent() }
        candidates.append(source.path + "/Fixtures")
        return candidates.map { $0 + "/demo-repo" }.first { FileManager.default.fileExists(atPath: $0 + "/README.md") }
    }

    public func run() throws(PPDSError) {
        guard let fixture = Demo.fixtureFolder() else {
            throw PPDSError.failed("Fixtures/demo-repo was not found; run the demo from the ppds checkout, or set PPDS_FIXTURES")
        }
        let root = canonicalPath(NSTemporaryDirectory()) + "/ppds-demo-\(UUID().uuidString.prefix(8))"
        defer {
            if keep { print("\nKept everything under \(root) (PPDS_HOME=\(root)/home).") }
            else { try? FileManager.default.removeItem(atPath: root) }
        }
        let repo = root + "/shop"
        let origin = root + "/origin.git"
        let home = root + "/home"
        try step("Setting up a throwaway repository with an origin at \(root)") {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixture, toPath: repo)
            try FileManager.default.moveItem(atPath: repo + "/gitignore", toPath: repo + "/.gitignore")
            try "API_KEY=demo\n".write(toFile: repo + "/.env", atomically: true, encoding: .utf8)
            try git(["init", "-q", "-b", "main"], in: repo)
            try git(["add", "-A"], in: repo)
            try git(["commit", "-q", "-m", "shop: first version"], in: repo)
            try git(["init", "-q", "--bare", origin], in: root)
            try git(["remote", "add", "origin", origin], in: repo)
            try git(["push", "-q", "-u", "origin", "main"], in: repo)
            try git(["remote", "set-head", "origin", "main"], in: repo)
        }

        let workspace = Workspace(repoRoot: canonicalPath(repo), store: SessionStore(home: home))
        var config = Config()
        config.copy = [".env"]
        let issues: [(Int, String, [String])] = [
            (101, "Add a login form", ["enhancement"]),
            (102, "Fix crash on empty cart", ["bug"]),
            (103, "Token refresh for sessions", ["enhancement"]),
            (104, "Update the checkout docs", ["documentation"]),
        ]
        let forge = DemoForge(folder: root)
        try step("Installing a stand-in gh with the tracker's four open issues") { try forge.install(issues: issues) }
        print(heading("0. The tracker: ppds issues"))
        let board = try IssueBoard.load(workspace, config: config, query: IssueQuery())
        print(IssuesText().render(board).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        var known: [IssueNumber: IssueInfo] = [:]
        for (number, title, labels) in issues {
            known[IssueNumber(number)!] = IssueInfo(issue: IssueNumber(number)!, title: title, labels: labels)
        }
        print(heading("1. Bulk start: ppds start-work --from-issues --jobs 2"))
        let started = StartWork(workspace: workspace, config: config)
            .run(StartWorkRequest(issues: Array(known.keys).sorted(), known: known, jobs: 2, offline: true, runHooks: false))
        for result in started {
            guard case .started(let session) = result.outcome else {
                throw PPDSError.failed("demo: \(result.issue.tag) did not start: \(StartWorkText.describe(result))")
            }
            print("✔ \(result.issue.tag) \(session.branch) → \(session.worktree)" + (result.copied.isEmpty ? "" : " (copied \(result.copied.joined(separator: ", ")))"))
        }
        try view(workspace)

        print(heading("2. Workers report: planning, a plan to review, stuck with options"))
        let n = { (value: Int) in IssueNumber(value)! }
        _ = try PlanReview.submit("1. A /login route with an email + password form\n2. Remember-me as a signed cookie\n3. Tests: good password, bad password, locked account",
                                  to: n(101), in: workspace.store, workspace: workspace, force: false)
        print("ppds update 101 --status planning_complete --plan plan.md")
        try change(n(102), .update(status: .working, stuck: nil, pr: nil, force: false), workspace)
        try change(n(103), .update(status: .stuck, stuck: StuckRequest(
            reason: "Auth/Security decision needed",
            context: "Token refresh approach unclear - use sliding expiration or fixed?",
            options: ["sliding", "fixed", "ask user preference"]), pr: nil, force: false), workspace)
        try change(n(104), .update(status: .planning, stuck: nil, pr: nil, force: false), workspace)
        try view(workspace)

        print(heading("3. #103's worker waits; the orchestrator answers it, approves #101's plan, pauses #104"))
        try workerWaits(for: n(103), repo: repo, home: home) { () throws(PPDSError) in
            try change(n(103), .guide(message: "Use sliding expiration, 30 minutes."), workspace)
        }
        try view(workspace)
        try change(n(103), .update(status: .working, stuck: nil, pr: nil, force: false), workspace)
        let approved = try PlanReview.answer(.approved, message: "Go ahead; keep the cookie HttpOnly.", version: 1, issue: n(101),
                                             in: workspace.store, workspace: workspace, by: PlanReview.reviewer(home: home))
        print("ppds approve 101 \"Go ahead; keep the cookie HttpOnly.\"   (#101 is \(approved.session.status.fileValue))")
        try change(n(104), .pause, workspace)
        try view(workspace)

        print(heading("4. Workers commit and ship #101 and #102"))
        let sessions = Dictionary(uniqueKeysWithValues: workspace.store.list().sessions.map { ($0.issue.value, $0) })
        try step("committing in the worktrees") {
            let login = sessions[101]!.worktree
            try "login\n- email + password form\n- remember me\n".write(toFile: login + "/src/login.txt", atomically: true, encoding: .utf8)
            try git(["commit", "-q", "-am", "login: form"], in: login)
            try "login tests: 3 cases\n".write(toFile: login + "/src/login-tests.txt", atomically: true, encoding: .utf8)
            try git(["add", "-A"], in: login)
            try git(["commit", "-q", "-m", "login: tests"], in: login)
            let cart = sessions[102]!.worktree
            try String(contentsOfFile: cart + "/src/cart.txt", encoding: .utf8)
                .replacingOccurrences(of: "- empty cart shows \"0.00\"", with: "- empty cart shows \"0.00\" (no crash on an empty list)")
                .write(toFile: cart + "/src/cart.txt", atomically: true, encoding: .utf8)
            try git(["commit", "-q", "-am", "cart: handle empty cart"], in: cart)
            try git(["commit", "-q", "--allow-empty", "-m", "cart: note for reviewers"], in: cart)
        }
        try change(n(101), .ship(pr: "https://github.com/example/shop/pull/42", force: false), workspace)
        try change(n(102), .ship(pr: "https://github.com/example/shop/pull/43", force: false), workspace)
        try step("the forge: #42 approved with CI green, #43 waiting for review with lint failing") {
            try forge.pullRequest(42, branch: sessions[101]!.branch, review: "APPROVED", checks: [("build", "SUCCESS"), ("test", "SUCCESS")])
            try forge.pullRequest(43, branch: sessions[102]!.branch, review: "REVIEW_REQUIRED", checks: [("build", "SUCCESS"), ("lint", "FAILURE")])
        }
        print("ppds status --prs")
        _ = PullRequestRefresh.run(workspace)
        try view(workspace)

        print(heading("5. The forge merges #101 with a merge commit and squash-merges #102; main moves on"))
        try step("merging on origin/main") {
            try git(["merge", "-q", "--no-ff", "-m", "Merge pull request #42", sessions[101]!.branch], in: repo)
            try git(["merge", "-q", "--squash", sessions[102]!.branch], in: repo)
            try git(["commit", "-q", "-m", "Fix crash on empty cart (#43)"], in: repo)
            try "# shop\n\nNow with a login form.\n".write(toFile: repo + "/README.md", atomically: true, encoding: .utf8)
            try git(["commit", "-q", "-am", "README: mention login"], in: repo)
            try git(["push", "-q", "origin", "main"], in: repo)
            try forge.pullRequest(42, branch: sessions[101]!.branch, review: "APPROVED", checks: [("build", "SUCCESS"), ("test", "SUCCESS")], merged: true)
            try forge.pullRequest(43, branch: sessions[102]!.branch, review: "APPROVED", checks: [("build", "SUCCESS"), ("lint", "SUCCESS")], merged: true)
        }
        _ = PullRequestRefresh.run(workspace)
        try view(workspace)

        print(heading("6. ppds prune"))
        let report = try Prune(workspace: workspace, config: config).run(PruneRequest())
        for result in report.results {
            print("\(result.issue?.tag ?? "?") \(result.outcome.rawValue): \(PruneText.describe(result.reason))")
        }
        try view(workspace)
        let removed = report.results.filter { $0.outcome == .removed }.count
        guard removed == 2 else { throw PPDSError.failed("demo: expected prune to remove 2 sessions, it removed \(removed)") }

        print(heading("7. Into #103's worktree, finish it, merge locally (not pushed yet), prune"))
        let tokens = sessions[103]!.worktree
        print("$ eval \"$(ppds shell-init bash)\"; ppds cd 103")
        print("  (cd \(tokens))")
        try step("committing in #103 and merging it into local main") {
            try "tokens: sliding expiration, 30 minutes\n".write(toFile: tokens + "/src/tokens.txt", atomically: true, encoding: .utf8)
            try git(["add", "-A"], in: tokens)
            try git(["commit", "-q", "-m", "tokens: sliding expiration"], in: tokens)
            try git(["merge", "-q", "--no-ff", "-m", "Merge token refresh (#103)", sessions[103]!.branch], in: repo)
        }
        try change(n(103), .ship(pr: "https://github.com/example/shop/pull/44", force: false), workspace)
        let local = try Prune(workspace: workspace, config: config).run(PruneRequest(issues: [n(103)]))
        for result in local.results {
            print("\(result.issue?.tag ?? "?") \(result.outcome.rawValue): \(PruneText.describe(result.reason))")
        }
        guard local.results.first?.outcome == .removed else {
            throw PPDSError.failed("demo: expected prune to remove #103 after the local merge")
        }
        try view(workspace)

        try DemoWorkers(workspace: workspace, config: config, root: root, keep: keep, print: print,
                        view: { () throws(PPDSError) in try view(workspace) })
            .run(heading: heading("8. Workers that run: two stand-in agents spawned in tmux plan, ask, work and ship"))
        print("\nDone: the tracker's 4 issues started in parallel, a plan reviewed, a question answered, 3 shipped with their PR and CI state, merged three ways (a merge commit, a squash, a local merge) and pruned on git's evidence; 1 still paused; and two spawned agents ran the worker protocol in tmux.")
    }

    /// Runs the real `ppds wait` as #103's worker would (a separate process, blocked until the
    /// guidance lands), while `answer` relays the orchestrator's guidance; prints what the
    /// worker printed and how long the guidance took to reach it.
    private func workerWaits(for issue: IssueNumber, repo: String, home: String, answer: () throws(PPDSError) -> Void) throws(PPDSError) {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let argv = [executable, "wait", String(issue.value), "--repo", repo, "--timeout", "30s"]
        print("worker \(issue.tag)$ ppds wait --timeout 30s   (blocks)")
        let result = Mutex<(ProcessRunner.Output?, Date?)>((nil, nil))
        let worker = Thread {
            let output = try? ProcessRunner.run(argv, in: repo, environment: ["PPDS_HOME": home, "NO_COLOR": "1"], timeout: 40)
            result.withLock { $0 = (output, Date()) }
        }
        worker.start()
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Date()
        try answer()
        while result.withLock({ $0.1 == nil }) && Date().timeIntervalSince(sent) < 35 { Thread.sleep(forTimeInterval: 0.005) }
        let (output, finished) = result.withLock { $0 }
        guard let output, output.status == 0, let finished else {
            throw PPDSError.failed("demo: the waiting worker did not get the guidance: \(output?.stderr ?? "no output")")
        }
        let lines = output.stdout.split(separator: "\n").map { "worker \(issue.tag)> " + $0 }
        print(lines.joined(separator: "\n"))
        print("  (the guidance reached the waiting worker \(Int(finished.timeIntervalSince(sent) * 1000)) ms after 'ppds guide')")
    }

    private func heading(_ text: String) -> String {
        color ? "\n\u{1B}[1;36m== \(text)\u{1B}[0m" : "\n== \(text)"
    }

    private func view(_ workspace: Workspace) throws(PPDSError) {
        let report = try StatusReport.build(workspace)
        print(StatusText(color: color).render(report).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    }

    private func change(_ issue: IssueNumber, _ change: SessionChange, _ workspace: Workspace) throws(PPDSError) {
        let session = try SessionChanges.apply(change, to: issue, in: workspace.store)
        switch change {
        case .guide(let message): print("ppds guide \(issue.value) \"\(message)\"")
        case .pause: print("ppds pause \(issue.value)")
        case .ship(let pr, _): print("ppds ship \(issue.value) --pr \(pr)")
        default: print("ppds update \(issue.value) --status \(session.status.fileValue)" + (session.stuck.map { " --reason \"\($0.reason)\"" } ?? ""))
        }
    }

    private func step(_ label: String, _ body: () throws -> Void) throws(PPDSError) { try DemoSteps.step(label, body) }

    private func git(_ arguments: [String], in directory: String) throws { try DemoSteps.git(arguments, in: directory) }
}
