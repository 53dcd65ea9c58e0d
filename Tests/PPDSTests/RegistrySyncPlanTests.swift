import Foundation
import Testing
import GitKit
@testable import Lifecycle
import SessionKit
import Support
@testable import Replication

/// Sync's per-session planner as a table, without git: one row (at least) per numbered case of
/// `SessionSyncCase`, each asserting the cases taken, the outcome and the steps' shape.
@Suite struct RegistrySyncPlanTests {
    static let me = Machine(id: "m-here", label: "here")
    static let other = Machine(id: "m-there", label: "there")
    static let issue = IssueNumber(7)!
    static let started = Date(timeIntervalSince1970: 1_700_000_000)

    static func session(_ status: SessionStatus = .working, machine: Machine = me, change: (inout Session) -> Void = { _ in }) -> Session {
        var session = Session(issue: issue, status: status, branch: "ppds/7", worktree: "/w/7", started: started)
        session.machine = machine
        change(&session)
        return session
    }

    static func id(_ digit: Character) -> ObjectID { ObjectID(hex: String(repeating: digit, count: 40))! }

    static func entry(_ digit: Character, _ replica: SessionReplica, lamport: Int, by machine: Machine) -> RegistryEntry {
        RegistryEntry(id: id(digit), replica: replica, lamport: lamport, machine: machine, signature: nil, changed: [])
    }

    /// The replica `session` makes, recorded on `base` at (`lamport`, `machine`).
    static func replica(_ session: Session, lamport: Int, by machine: Machine, on base: SessionReplica = SessionReplica()) -> SessionReplica {
        base.recording(session, at: Stamp(lamport: lamport, machine: machine.id))
    }

    static let trust: MachineTrust = {
        let home = FileManager.default.temporaryDirectory.path + "/ppds-plan-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try! MachineTrust.load(home: home, machine: me)
    }()

    static func facts(own: Bool, file: Session?, local: RegistryEntry? = nil, remote: RegistryEntry? = nil) -> SessionSyncFacts {
        var facts = SessionSyncFacts(issue: issue, me: me, isOwn: own, file: "/h/sessions/7.json", trust: trust, now: started + 60)
        facts.original = file
        facts.current = file
        facts.local = local
        facts.remote = remote
        if let local, let remote, local.id == remote.id {
            facts.localIsAncestorOfRemote = true
            facts.remoteIsAncestorOfLocal = true
        }
        return facts
    }

    /// The steps without their payloads: "commit", "save", "remove", "ref:planned0" or "ref:existing".
    static func shape(_ plan: SessionSyncPlan) -> [String] {
        plan.steps.compactMap { step in
            switch step {
            case .commit: "commit"
            case .saveFile: "save"
            case .removeFile: "remove"
            case .moveRef(.planned(let index)): "ref:planned\(index)"
            case .moveRef(.existing): "ref:existing"
            case .checkpoint: nil
            }
        }
    }

    struct Row {
        var name: String
        var facts: SessionSyncFacts
        var cases: [SessionSyncCase]
        var outcome: SessionSyncResult.Outcome
        var shape: [String]?
    }

    static var rows: [Row] {
        let mine = session()
        let local = entry("a", replica(mine, lamport: 1, by: me), lamport: 1, by: me)
        var rows: [Row] = []

        var unreadable = facts(own: true, file: nil)
        unreadable.unreadable = "7.json: not JSON"
        rows.append(Row(name: "1 unreadable file", facts: unreadable, cases: [.unreadableFile], outcome: .failed, shape: []))

        var refused = facts(own: true, file: mine, local: local, remote: entry("b", local.replica, lamport: 2, by: other))
        refused.refusal = "#7: refused commit bbbbbbb"
        rows.append(Row(name: "2 refused remote", facts: refused, cases: [.refusedRemote], outcome: .refused, shape: []))

        rows.append(Row(name: "3 own file gone", facts: facts(own: true, file: nil, local: local), cases: [.ownFileGone],
                        outcome: .unchanged, shape: []))
        rows.append(Row(name: "4 conflict", facts: facts(own: true, file: session(machine: other)), cases: [.conflict],
                        outcome: .conflict, shape: []))

        rows.append(Row(name: "5 first record", facts: facts(own: true, file: mine), cases: [.recordFile, .remoteSame, .writeFile],
                        outcome: .recorded, shape: nil))

        let retitled = session { $0.title = "from there" }
        var fastForward = facts(own: true, file: mine, local: local,
                                remote: entry("c", replica(retitled, lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
        fastForward.localIsAncestorOfRemote = true
        rows.append(Row(name: "7 fast-forward", facts: fastForward, cases: [.fastForward, .writeFile], outcome: .fastForwarded,
                        shape: ["save", "ref:existing"]))

        let ahead = session { $0.title = "from here" }
        var behind = facts(own: true, file: ahead, local: entry("d", replica(ahead, lamport: 2, by: me, on: local.replica), lamport: 2, by: me),
                           remote: local)
        behind.remoteIsAncestorOfLocal = true
        rows.append(Row(name: "8 remote behind", facts: behind, cases: [.remoteBehind, .writeFile], outcome: .unchanged, shape: []))

        let colored = session { $0.extra["color"] = .string("blue") }
        var merge = facts(own: true, file: ahead, local: local,
                          remote: entry("e", replica(colored, lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
        merge.localIsAncestorOfRemote = true
        rows.append(Row(name: "9 merge", facts: merge, cases: [.recordFile, .merge, .writeFile], outcome: .merged,
                        shape: ["commit", "commit", "save", "ref:planned1"]))

        let theirs = session(machine: other)
        rows.append(Row(name: "10 first copy", facts: facts(own: false, file: nil, remote: entry("f", replica(theirs, lamport: 1, by: other), lamport: 1, by: other)),
                        cases: [.adoptRemote, .writeFile], outcome: .mirrored, shape: ["save", "ref:existing"]))
        rows.append(Row(name: "11 nothing anywhere", facts: facts(own: false, file: nil), cases: [.remoteSame, .nothingAnywhere],
                        outcome: .unchanged, shape: []))

        let finished = entry("1", replica(session(.complete), lamport: 3, by: me), lamport: 3, by: me)
        rows.append(Row(name: "12 pruned here", facts: facts(own: false, file: nil, local: finished, remote: finished),
                        cases: [.remoteSame, .markPruned], outcome: .ended, shape: ["commit", "ref:planned0"]))

        let theirLocal = entry("2", replica(theirs, lamport: 1, by: other), lamport: 1, by: other)
        var prunedThere = theirLocal.replica
        prunedThere.fields[RegistrySync.prunedKey] = Register(value: .string("2026-01-01T00:00:00Z"), stamp: Stamp(lamport: 2, machine: other.id))
        var dropped = facts(own: false, file: theirs, local: theirLocal, remote: entry("3", prunedThere, lamport: 2, by: other))
        dropped.localIsAncestorOfRemote = true
        rows.append(Row(name: "13 owner pruned", facts: dropped, cases: [.fastForward, .dropCopy], outcome: .ended,
                        shape: ["remove", "ref:existing"]))

        let paused = session(.paused) { $0.pausedFrom = .working }
        for verdict in [TrustVerdict.untrusted, .trusted] {
            var pause = facts(own: true, file: mine, local: local,
                              remote: entry("4", replica(paused, lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
            pause.localIsAncestorOfRemote = true
            pause.origins = [(pause.remote!.replica.paused!, (Signer(id: other.id, label: other.label, key: nil), verdict))]
            rows.append(Row(name: "14 pause from a \(verdict) machine", facts: pause,
                            cases: verdict.acts ? [.fastForward, .writeFile] : [.fastForward, .pauseNotObeyed, .recordedAgain, .writeFile],
                            outcome: .fastForwarded, shape: verdict.acts ? ["save", "ref:existing"] : ["commit", "ref:planned0"]))
        }

        var ended = facts(own: true, file: mine, local: local,
                          remote: entry("5", replica(session(.complete), lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
        ended.localIsAncestorOfRemote = true
        rows.append(Row(name: "15 finished elsewhere", facts: ended, cases: [.fastForward, .foreignEndIgnored, .recordedAgain, .writeFile],
                        outcome: .fastForwarded, shape: nil))

        let moved = session { $0.branch = "elsewhere" }
        var location = facts(own: true, file: mine, local: local,
                             remote: entry("6", replica(moved, lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
        location.localIsAncestorOfRemote = true
        rows.append(Row(name: "16 location from elsewhere", facts: location, cases: [.fastForward, .recordedAgain, .writeFile],
                        outcome: .fastForwarded, shape: ["commit", "ref:planned0"]))

        let guided = session { $0.guidance = [Guidance(message: "try again", at: started + 30)] }
        var guidance = facts(own: true, file: mine, local: local,
                             remote: entry("8", replica(guided, lamport: 2, by: other, on: local.replica), lamport: 2, by: other))
        guidance.localIsAncestorOfRemote = true
        rows.append(Row(name: "17 guidance not relayed", facts: guidance, cases: [.fastForward, .guidanceHeld, .writeFile],
                        outcome: .fastForwarded, shape: ["save", "ref:existing"]))
        return rows
    }

    @Test func everyNumberedCaseFollowsItsPath() throws {
        var covered: Set<SessionSyncCase> = []
        for row in Self.rows {
            guard case .plan(let plan) = try SessionSyncPlanner.plan(row.facts) else {
                Issue.record("\(row.name): asked for more facts")
                continue
            }
            #expect(plan.cases == row.cases, "\(row.name)")
            #expect(plan.result.outcome == row.outcome, "\(row.name)")
            if let shape = row.shape { #expect(Self.shape(plan) == shape, "\(row.name)") }
            covered.formUnion(plan.cases)
        }
        #expect(covered == Set(SessionSyncCase.allCases), "not covered: \(Set(SessionSyncCase.allCases).subtracting(covered).map(\.rawValue).sorted())")
    }

    /// Case 14 asks who set the pause before it decides: the origin is a fact gathered on demand.
    @Test func aPauseFromElsewhereAsksWhoSetIt() throws {
        let row = try #require(Self.rows.first { $0.name.hasPrefix("14") })
        var facts = row.facts
        facts.origins = []
        guard case .needsOrigin(let register, let roots) = try SessionSyncPlanner.plan(facts) else {
            Issue.record("decided without the origin")
            return
        }
        #expect(register == facts.remote?.replica.paused)
        #expect(roots == [Self.id("4")])
    }

    @Test func anUntrustedPauseKeepsTheLocalStatusAndSaysSo() throws {
        let row = try #require(Self.rows.first { $0.name == "14 pause from a untrusted machine" })
        guard case .plan(let plan) = try SessionSyncPlanner.plan(row.facts) else { return }
        // The file keeps its status (nothing to save), and the registry records it again.
        #expect(!plan.steps.contains { if case .saveFile = $0 { true } else { false } })
        #expect(plan.commits.map(\.session.status) == [.working])
        #expect(plan.result.message?.contains("was not obeyed") == true)
    }

    @Test func aMergeJoinsTheRecordedCommitAndTheRemotes() throws {
        let row = try #require(Self.rows.first { $0.name == "9 merge" })
        guard case .plan(let plan) = try SessionSyncPlanner.plan(row.facts) else { return }
        #expect(plan.commits.map(\.parents) == [[.existing(Self.id("a"))], [.planned(0), .existing(Self.id("e"))]])
        #expect(plan.commits.map(\.lamport) == [3, 4])
    }

    @Test func anotherMachinesEndOfThisMachinesSessionIsIgnored() throws {
        let row = try #require(Self.rows.first { $0.name.hasPrefix("15") })
        guard case .plan(let plan) = try SessionSyncPlanner.plan(row.facts) else { return }
        let saved = plan.steps.compactMap { if case .saveFile(let session) = $0 { session } else { nil } }.first
        #expect(saved == nil || saved?.status == .working)
    }
}
