import Foundation
import Testing
import TestSupport
import SessionKit
import Support

/// The registry's merge as a pure function: the rules one by one, the join's laws, and random
/// operations on several replicas synced in random orders.
@Suite struct SessionReplicaTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func base(_ status: SessionStatus = .working) -> Session {
        var session = Session(issue: IssueNumber(456)!, status: status, branch: "feat/x", worktree: "/src/shop-x", started: t0)
        session.machine = Machine(id: "mA", label: "laptop")
        return session
    }

    static func change(_ session: Session, _ change: SessionChange, _ seconds: Int) -> Session {
        (try? session.applying(change, at: t0.addingTimeInterval(TimeInterval(seconds)))) ?? session
    }

    /// Replica `a` and `b` both start from `start` (synced at lamport 1), then each records its own file.
    static func fork(_ start: Session, a: (Session) -> Session, b: (Session) -> Session) throws -> Session {
        let common = SessionReplica.initial(start, at: Stamp(lamport: 1, machine: "mA"))
        let fileA = a(try common.session(file: "a")), fileB = b(try common.session(file: "b"))
        let left = common.recording(fileA, at: Stamp(lamport: 2, machine: "mA"))
        let right = common.recording(fileB, at: Stamp(lamport: 2, machine: "mB"))
        let merged = left.merged(with: right)
        #expect(merged == right.merged(with: left))
        return try merged.session(file: "merged")
    }

    @Test func guidanceIsASet() throws {
        let merged = try Self.fork(Self.base(), a: { Self.change($0, .guide(message: "one"), 5) },
                                   b: { Self.change(Self.change($0, .guide(message: "two"), 6), .guide(message: "two"), 7) })
        #expect(merged.guidance.map(\.message) == ["one", "two", "two"])
        #expect(Set(merged.guidance.map(\.id)).count == 3)
    }

    @Test func deliveredIsTheEarliestReading() throws {
        let guided = Self.change(Self.base(), .guide(message: "hi"), 1)
        let id = guided.guidance[0].id
        let merged = try Self.fork(guided, a: { $0.markingDelivered([id], at: Self.t0.addingTimeInterval(50)) },
                                   b: { $0.markingDelivered([id], at: Self.t0.addingTimeInterval(20)) })
        #expect(merged.guidance.count == 1)
        #expect(merged.guidance[0].delivered == Self.t0.addingTimeInterval(20))
        let oneSide = try Self.fork(guided, a: { $0 }, b: { $0.markingDelivered([id], at: Self.t0.addingTimeInterval(30)) })
        #expect(oneSide.guidance[0].delivered == Self.t0.addingTimeInterval(30))
    }

    @Test func aPauseWinsOverAConcurrentWorkerStatus() throws {
        let stuck = Self.change(Self.base(), .update(status: .stuck, stuck: StuckRequest(reason: "which?"), pr: nil, force: false), 1)
        let merged = try Self.fork(stuck, a: { Self.change($0, .update(status: .working, stuck: nil, pr: nil, force: false), 9) },
                                   b: { Self.change($0, .pause, 5) })
        #expect(merged.status == .paused)
        #expect(merged.pausedFrom == .working)
        #expect(merged.stuck == nil)
        // Resuming returns to what the worker said meanwhile.
        #expect(Self.change(merged, .resume, 20).status == .working)
    }

    @Test func aTerminalStatusIsNotUndone() throws {
        let merged = try Self.fork(Self.base(), a: { Self.change($0, .cancel, 1) },
                                   b: { Self.change($0, .update(status: .stuck, stuck: StuckRequest(reason: "r"), pr: nil, force: false), 9) })
        #expect(merged.status == .cancelled)
        let shipped = try Self.fork(Self.base(), a: { Self.change($0, .pause, 1) },
                                    b: { Self.change($0, .ship(pr: "https://x.example/o/r/pull/1", force: false), 2) })
        #expect(shipped.status == .complete)
        #expect(shipped.pr == "https://x.example/o/r/pull/1")
    }

    @Test func otherwiseTheLaterClockWinsThenTheMachineID() throws {
        var start = Self.base()
        start.title = "old"
        // Same Lamport clock on both sides: mB > mA decides.
        let tie = try Self.fork(start, a: { var s = $0; s.title = "from A"; return s }, b: { var s = $0; s.title = "from B"; return s })
        #expect(tie.title == "from B")
        // A later clock wins whatever the machine.
        let common = SessionReplica.initial(start, at: Stamp(lamport: 1, machine: "mA"))
        var a = try common.session(file: "a"); a.title = "from A, later"
        var b = try common.session(file: "b"); b.title = "from B"
        let merged = common.recording(a, at: Stamp(lamport: 7, machine: "mA")).merged(with: common.recording(b, at: Stamp(lamport: 3, machine: "mZ")))
        #expect(try merged.session(file: "m").title == "from A, later")
    }

    @Test func unknownKeysAreKept() throws {
        let merged = try Self.fork(Self.base(), a: { var s = $0; s.extra["ci"] = .string("green"); return s },
                                   b: { var s = $0; s.extra["reviewer"] = .object(["name": .string("kim")]); return s })
        #expect(merged.extra["ci"] == .string("green"))
        #expect(merged.extra["reviewer"] == .object(["name": .string("kim")]))
        #expect(merged.machine == Machine(id: "mA", label: "laptop"))
    }

    @Test func aSessionStartedAgainIsANewIncarnation() throws {
        let finished = Self.change(Self.base(), .cancel, 1)
        let common = SessionReplica.initial(finished, at: Stamp(lamport: 1, machine: "mA"))
        // Another machine still edits the old session's copy...
        var old = try common.session(file: "b")
        old.extra["note"] = .string("about the old session")
        let b = common.recording(old, at: Stamp(lamport: 5, machine: "mB"))
        // ...while the owner starts the issue again, in the same second.
        let again = common.recording(Self.base(.registered), at: Stamp(lamport: 2, machine: "mA"))
        let merged = again.merged(with: b)
        #expect(merged == b.merged(with: again))
        let session = try merged.session(file: "m")
        #expect(session.status == .registered)
        #expect(session.extra["note"] == nil)
        #expect(merged.merged(with: common) == merged)
    }

    @Test func theStoredFormReadsBack() throws {
        var session = Self.change(Self.base(), .guide(message: "x"), 3)
        session = Self.change(session, .pause, 4)
        let replica = SessionReplica.initial(session, at: Stamp(lamport: 4, machine: "mA"))
        #expect(SessionReplica(json: try JSONValue.parse(Data(JSONWriter.write(replica.json).utf8))) == replica)
        #expect(try replica.session(file: "f") == session)
        // Recording the same file again changes nothing.
        #expect(replica.recording(session, at: Stamp(lamport: 9, machine: "mB")) == replica)
    }

    // MARK: Property: random operations, random sync orders, one outcome


    /// One machine: its file, the state it last synced, and the highest clock it saw.
    struct Node {
        var id: String
        var file: Session
        var synced: SessionReplica
        var lamport: Int

        mutating func record() {
            lamport += 1
            synced = synced.recording(file, at: Stamp(lamport: lamport, machine: id))
        }
    }

    static func randomChange(_ session: Session, _ random: inout SeededRandom, step: Int) -> Session {
        let now = step
        switch Int.random(in: 0..<9, using: &random) {
        case 0, 1: return change(session, .guide(message: "m\(step)"), now)
        case 2: return change(session, .pause, now)
        case 3: return change(session, .resume, now)
        case 4:
            let status: SessionStatus = [.working, .planning, .planningComplete].randomElement(using: &random)!
            return change(session, .update(status: status, stuck: nil, pr: nil, force: Bool.random(using: &random)), now)
        case 5: return change(session, .update(status: .stuck, stuck: StuckRequest(reason: "r\(step)"), pr: nil, force: false), now)
        case 6:
            guard let item = session.undeliveredGuidance.randomElement(using: &random) else { return session }
            return session.markingDelivered([item.id], at: t0.addingTimeInterval(TimeInterval(now)))
        case 7:
            var next = session
            next.extra["k\(Int.random(in: 0..<3, using: &random))"] = .int(Int64(step))
            return next
        default:
            return Int.random(in: 0..<6, using: &random) == 0 ? change(session, .cancel, now) : session
        }
    }

    @Test(arguments: 0..<40) func randomHistoriesConverge(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed) &* 7919 &+ 17)
        let start = Self.base(.registered)
        let first = SessionReplica.initial(start, at: Stamp(lamport: 1, machine: "m0"))
        var nodes = (0..<Int.random(in: 2...5, using: &random)).map { Node(id: "m\($0)", file: start, synced: first, lamport: 1) }
        var remote = first
        var everyGuidance = Set<String>()
        for step in 2..<80 {
            let index = Int.random(in: 0..<nodes.count, using: &random)
            if Bool.random(using: &random) {
                nodes[index].file = Self.randomChange(nodes[index].file, &random, step: step)
                everyGuidance.formUnion(nodes[index].file.guidance.map(\.id))
            } else if Bool.random(using: &random) {
                // Sync through the shared remote.
                nodes[index].record()
                remote = remote.merged(with: nodes[index].synced)
                nodes[index].synced = remote
                nodes[index].lamport = max(nodes[index].lamport, remote.lamport)
                nodes[index].file = try remote.session(file: "n")
            } else {
                // Or directly with another machine.
                let other = Int.random(in: 0..<nodes.count, using: &random)
                nodes[index].record(); nodes[other].record()
                let joined = nodes[index].synced.merged(with: nodes[other].synced)
                for i in [index, other] {
                    nodes[i].synced = joined
                    nodes[i].lamport = max(nodes[i].lamport, joined.lamport)
                    nodes[i].file = try joined.session(file: "n")
                }
            }
        }
        // Everyone syncs through the remote twice, in a random order.
        for _ in 0..<2 {
            for index in nodes.indices.shuffled(using: &random) {
                nodes[index].record()
                remote = remote.merged(with: nodes[index].synced)
                nodes[index].synced = remote
                nodes[index].lamport = max(nodes[index].lamport, remote.lamport)
                nodes[index].file = try remote.session(file: "n")
            }
        }
        let final = try remote.session(file: "n")
        for node in nodes { #expect(node.file == final) }
        #expect(Set(final.guidance.map(\.id)) == everyGuidance)
        #expect(final.guidance.count == everyGuidance.count)
        // The join's laws on the nodes' last states.
        let a = nodes[0].synced, b = nodes[nodes.count - 1].synced, c = first
        #expect(a.merged(with: b) == b.merged(with: a))
        #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)))
        #expect(a.merged(with: a) == a)
    }
}
