import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore

/// The Lifecycle operations called in-process, on real temporary repositories with no ppds
/// binary: each rule is checked in milliseconds, beside the binary-driven scenarios.
@Suite struct OperationTests {
    let fixture: GitFixture
    let workspace: Workspace

    init() throws {
        fixture = try GitFixture()
        workspace = try Workspace.locate(repo: fixture.repo, home: fixture.home)
    }

    func start(_ issues: [Int], title: String = "Some work") -> StartWorkReport {
        let numbers = issues.map { IssueNumber($0)! }
        let known = Dictionary(uniqueKeysWithValues: numbers.map { ($0, IssueInfo(issue: $0, title: title)) })
        return StartWork(workspace: workspace, config: Config())
            .report(StartWorkRequest(issues: numbers, known: known, offline: true, runHooks: false))
    }

    @Test func startThenStartAgainIsExisting() throws {
        let first = start([1])
        guard case .started(let session) = first.results.first?.outcome else { Issue.record("\(first.json)"); return }
        #expect(first.failure == nil)
        #expect(FileManager.default.fileExists(atPath: session.worktree))
        let again = start([1])
        guard case .existing(let same) = again.results.first?.outcome else { Issue.record("\(again.json)"); return }
        #expect(same.worktree == session.worktree && again.failure == nil)
    }

    @Test func recreatingWithTheBranchGoneIsNotFound() throws {
        guard case .started(let session) = start([2]).results.first?.outcome else { Issue.record("not started"); return }
        try fixture.git("worktree", "remove", "--force", session.worktree)
        try fixture.git("branch", "-D", session.branch)
        let report = start([2])
        guard case .failed(let error) = report.results.first?.outcome else { Issue.record("\(report.json)"); return }
        #expect(error.reason == .notFound)
        // One issue alone keeps its failure's kind to the edge.
        #expect(report.failure == .notFound)
    }

    @Test func recreatingAFolderGoneByHand() throws {
        guard case .started(let session) = start([3]).results.first?.outcome else { Issue.record("not started"); return }
        try FileManager.default.removeItem(atPath: session.worktree)
        guard case .recreated(_, let note) = start([3]).results.first?.outcome else { Issue.record("not recreated"); return }
        #expect(note.contains(session.branch))
        #expect(FileManager.default.fileExists(atPath: session.worktree))
    }

    /// The contract's exit policy, from results alone.
    @Test func startWorkExitPolicy() throws {
        let session = Session(issue: IssueNumber(1)!, branch: "b", worktree: "/w", started: Date())
        let ok = StartResult(issue: IssueNumber(1)!, outcome: .started(session))
        let missing = StartResult(issue: IssueNumber(2)!, outcome: .failed(.notFound("no such issue")))
        let claimed = StartResult(issue: IssueNumber(3)!, outcome: .claimedElsewhere(message: "claimed"))
        var hooked = ok
        hooked.hooks = [HookResult(kind: "post_create", command: "false", outcome: .failed, message: nil)]
        #expect(StartWorkReport(results: [ok], warnings: []).failure == nil)
        #expect(StartWorkReport(results: [missing], warnings: []).failure == .notFound)
        #expect(StartWorkReport(results: [ok, missing], warnings: []).failure == .failed)
        #expect(StartWorkReport(results: [ok, claimed], warnings: []).failure == .refused)
        #expect(StartWorkReport(results: [hooked], warnings: []).failure == .failed)
        let json = StartWorkReport(results: [missing], warnings: ["w"]).json
        #expect(json["warnings"] == .array([.string("w")]))
    }

    @Test func cancelIsIdempotentAndRemoveGoesThroughPrune() throws {
        guard case .started(let session) = start([4]).results.first?.outcome else { Issue.record("not started"); return }
        let cancelled = try Cancel.run(CancelRequest(issue: session.issue), store: workspace.store, workspace: workspace)
        #expect(cancelled.session.status == .cancelled && cancelled.removal == nil && cancelled.failure == nil)
        let again = try Cancel.run(CancelRequest(issue: session.issue, remove: true), store: workspace.store, workspace: workspace)
        #expect(again.session.status == .cancelled)
        #expect(again.removal?.results.first?.outcome == .removed, "\(String(describing: again.removal?.results))")
        #expect(!FileManager.default.fileExists(atPath: session.worktree))
    }

    @Test func cancelOfNoSessionIsNotFound() throws {
        #expect(throws: PPDSError.self) {
            try Cancel.run(CancelRequest(issue: IssueNumber(99)!), store: workspace.store, workspace: workspace)
        }
        do {
            _ = try Cancel.run(CancelRequest(issue: IssueNumber(99)!), store: workspace.store, workspace: workspace)
        } catch {
            #expect(error.reason == .notFound)
        }
    }

    /// Doctor and status name the same problem the same way, from the one diagnosis.
    @Test func doctorAndStatusAgree() throws {
        guard case .started(let session) = start([5]).results.first?.outcome else { Issue.record("not started"); return }
        try fixture.git("worktree", "remove", session.worktree)
        let doctor = try Doctor(workspace: workspace).check()
        let status = try StatusReport.build(workspace).problems
        let expected = Problem.sessionWithoutWorktree(Problem.SessionRef(session),
                                                      .missing(status: .registered, parentMissing: false, entryKept: false, branchExists: true))
        #expect(doctor == [expected])
        #expect(status == [expected])
        #expect(status.first?.statusName == "worktreeMissing")
    }

    @Test func showReadsThisMachinesSession() throws {
        guard case .started(let session) = start([6]).results.first?.outcome else { Issue.record("not started"); return }
        guard case .here(let view) = try SessionShow.read(session.issue, store: workspace.store, workspace: workspace) else {
            Issue.record("not here"); return
        }
        #expect(view.git.worktreeExists && view.git.branchExists)
    }

    @Test func statusAcrossRepositories() throws {
        _ = start([7])
        let overview = try StatusAcrossRepositories.build(workspace.store) { _ in StatusReport.Options() }
        #expect(overview.repositories.count == 1)
        #expect(overview.repositories.first?.report?.sessions.map(\.session.issue) == [IssueNumber(7)!])
    }
}
