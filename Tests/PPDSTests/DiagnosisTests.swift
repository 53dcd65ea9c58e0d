import Foundation
import Testing
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// The one diagnosis as a pure function: facts in, problem cases out, with no repository.
@Suite struct DiagnosisTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func session(_ status: SessionStatus, updated: TimeInterval = 0, gone: Bool = false) -> Session {
        var session = Session(issue: IssueNumber(7)!, status: status, branch: "feat/seven", worktree: "/src/seven",
                              started: now.addingTimeInterval(-updated))
        if gone { session.extra[Session.worktreeGoneKey] = .string("2026-01-01T00:00:00Z") }
        return session
    }

    static func facts(_ session: Session, checkout: DiagnosisFacts.Checkout = .checkedOut(.branch("feat/seven")),
                      folder: Bool = true, parent: Bool = true, branch: Bool = true, heldBy: String? = nil,
                      running: Bool = false, merged: MergeCheck? = nil, ownCommits: Bool? = nil) -> DiagnosisFacts {
        var facts = DiagnosisFacts(scope: .repository, now: now, staleAfter: 3600, quarantine: "/home/corrupt")
        facts.sessions = [DiagnosisFacts.SessionFacts(session: session, checkout: checkout, folderExists: folder, parentExists: parent,
                                                      branchExists: branch, branchHeldBy: heldBy, operationRunning: running,
                                                      canonicalWorktree: session.worktree, merged: merged, hasOwnCommits: ownCommits)]
        return facts
    }

    /// One row per rule: the facts of one session, and the problems they name.
    struct Row: CustomStringConvertible, Sendable {
        let name: String
        let facts: DiagnosisFacts
        let expected: [Problem]
        var description: String { name }
    }

    static let ref = Problem.SessionRef(session(.working))
    static let done = Problem.SessionRef(session(.complete))

    static let rows: [Row] = [
        Row(name: "healthy", facts: facts(session(.working)), expected: []),
        Row(name: "another branch checked out", facts: facts(session(.working), checkout: .checkedOut(.branch("main"))),
            expected: [.branchMismatch(ref, .checkedOut(.branch("main")))]),
        Row(name: "branch checked out elsewhere", facts: facts(session(.working), heldBy: "/src/other"),
            expected: [.branchMismatch(ref, .heldBy("/src/other"))]),
        Row(name: "a finished session's branch held elsewhere is no problem",
            facts: facts(session(.complete), heldBy: "/src/other"), expected: []),
        Row(name: "live, folder gone, entry kept", facts: facts(session(.working), checkout: .entryWithoutFolder, folder: false),
            expected: [.sessionWithoutWorktree(ref, .missing(status: .working, parentMissing: false, entryKept: true, branchExists: true))]),
        Row(name: "live, folder and parent gone (unmounted disk?)",
            facts: facts(session(.working), checkout: .noEntry, folder: false, parent: false),
            expected: [.sessionWithoutWorktree(ref, .missing(status: .working, parentMissing: true, entryKept: false, branchExists: true))]),
        Row(name: "folder without git entry", facts: facts(session(.working), checkout: .noEntry),
            expected: [.sessionWithoutWorktree(ref, .folderWithoutEntry)]),
        Row(name: "a running operation explains a missing folder",
            facts: facts(session(.registered), checkout: .noEntry, folder: false, running: true), expected: []),
        Row(name: "finished, folder gone, not marked: fixable",
            facts: facts(session(.complete), checkout: .noEntry, folder: false),
            expected: [.sessionWithoutWorktree(done, .finishedUnmarked)]),
        Row(name: "finished, folder gone, marked", facts: facts(session(.complete, gone: true), checkout: .noEntry, folder: false),
            expected: []),
        Row(name: "live, branch gone", facts: facts(session(.working), branch: false), expected: [.branchMissing(ref)]),
        Row(name: "finished with its worktree, branch gone",
            facts: facts(session(.complete), checkout: .checkedOut(.branch("feat/seven")), branch: false),
            expected: [.branchMissing(done)]),
        Row(name: "finished, no entry, branch gone: simply over",
            facts: facts(session(.complete, gone: true), checkout: .noEntry, folder: false, branch: false), expected: []),
        Row(name: "stale", facts: facts(session(.working, updated: 7200)),
            expected: [.staleSession(ref, status: .working, idle: 7200)]),
        Row(name: "paused is never stale", facts: facts(session(.paused, updated: 7200)), expected: []),
        Row(name: "merged and finished", facts: facts(session(.complete), merged: .ancestor, ownCommits: true),
            expected: [.mergedReadyToPrune(done, merged: .ancestor, ownCommits: true)]),
        Row(name: "merged but live is not ready", facts: facts(session(.working), merged: .ancestor), expected: []),
    ]

    @Test(arguments: rows) func sessionRules(_ row: Row) {
        #expect(Diagnosis.diagnose(row.facts) == row.expected)
    }

    @Test func repositoryRules() {
        var facts = DiagnosisFacts(scope: .repository, now: Self.now, staleAfter: 3600, quarantine: "/q")
        facts.corruptFiles = [.init(file: "/h/work-3.json", reason: "not JSON")]
        facts.operations = [
            .init(operation: .startWork, issue: IssueNumber(1), worktree: "/w/1", branch: "b1", pid: 10, failure: nil, live: true),
            .init(operation: .prune, issue: IssueNumber(2), worktree: "/w/2", branch: "b2", pid: 11, failure: nil, live: false),
        ]
        func entry(_ name: String, _ state: WorktreeEntryState, locked: Bool = false, inUse: Bool = false, claimed: Bool = false,
                   staged: Bool = false) -> DiagnosisFacts.Entry {
            .init(name: name, path: "/w/" + name, branch: name, state: state, isLocked: locked, inUse: inUse, claimed: claimed, holdsStagedWork: staged)
        }
        facts.entries = [entry("gone", .folderMissing), entry("staged", .folderMissing, staged: true), entry("locked", .folderMissing, locked: true),
                         entry("busy", .halfMade, inUse: true), entry("half", .halfMade), entry("stray", .ok), entry("mine", .ok, claimed: true)]
        facts.registry = [.diverged(IssueNumber(9)!, remote: "origin")]
        #expect(Diagnosis.diagnose(facts) == [
            .corruptSessionFile(file: "/h/work-3.json", reason: "not JSON", quarantine: "/q"),
            .interruptedOperation(.running(.startWork, issue: IssueNumber(1), worktree: "/w/1", branch: "b1", pid: 10)),
            .interruptedOperation(.killed(.prune, issue: IssueNumber(2), worktree: "/w/2", branch: "b2", pid: 11)),
            .staleWorktreeEntry(.prunable(name: "gone", path: "/w/gone", branch: "gone", halfMade: false)),
            .staleWorktreeEntry(.holdsStagedWork(name: "staged", path: "/w/staged", branch: "staged")),
            .staleWorktreeEntry(.prunable(name: "half", path: "/w/half", branch: "half", halfMade: true)),
            .worktreeWithoutSession(path: "/w/stray", branch: "stray"),
            .registry(.diverged(IssueNumber(9)!, remote: "origin")),
        ])
        // Status's view: a running operation is not something to fix.
        facts.scope = .sessions
        #expect(!Diagnosis.diagnose(facts).contains { if case .interruptedOperation(.running) = $0 { true } else { false } })
    }

    @Test func duplicateClaims() {
        var one = Self.facts(Self.session(.working))
        var other = one.sessions[0]
        other.session.issue = IssueNumber(8)!
        one.sessions.append(other)
        #expect(Diagnosis.diagnose(one) == [
            .duplicateClaim(claim: "/src/seven", claimants: [IssueNumber(7)!, IssueNumber(8)!]),
            .duplicateClaim(claim: "feat/seven", claimants: [IssueNumber(7)!, IssueNumber(8)!]),
        ])
    }

    /// Names, groups and fixability: the contract's names, status's two old names kept in its JSON.
    @Test func namesGroupsAndFixability() {
        let missing = Problem.sessionWithoutWorktree(Self.ref, .missing(status: .working, parentMissing: false, entryKept: true, branchExists: true))
        #expect(missing.name == "sessionWithoutWorktree" && missing.statusName == "worktreeMissing" && !missing.fixable)
        #expect(Problem.sessionWithoutWorktree(Self.done, .finishedUnmarked).fixable)
        let stale = Problem.staleSession(Self.ref, status: .working, idle: 9000)
        #expect(stale.name == "staleSession" && stale.statusName == "stale" && stale.group == .problems)
        let merged = Problem.mergedReadyToPrune(Self.done, merged: .ancestor, ownCommits: true)
        #expect(merged.group == .readyToPrune && merged.statusName == "mergedReadyToPrune")
        #expect(Problem.registry(.notPushed(IssueNumber(1)!, remote: "o", .ahead)).name == "registryNotPushed")
        let json = ProblemText.statusJSON(missing).objectValue ?? [:]
        #expect(json["kind"] == .string("worktreeMissing") && json["name"] == .string("sessionWithoutWorktree") && json["group"] == .string("problems"))
        #expect(ProblemText.json(missing).objectValue?["kind"] == .string("sessionWithoutWorktree"))
    }
}
