import Foundation
import Testing
import SessionKit
import Support

@Suite struct TransitionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var session: Session {
        Session(issue: IssueNumber(7)!, branch: "feat/x", worktree: "/w", started: Date(timeIntervalSince1970: 1_700_000_000))
    }

    func update(_ status: SessionStatus, reason: String? = nil, force: Bool = false) -> SessionChange {
        .update(status: status, stuck: reason.map { StuckRequest(reason: $0, options: ["a", "b"]) }, pr: nil, force: force)
    }

    @Test func activeStatusesMoveFreelyAndStuckNeedsAReason() throws {
        var s = session
        for status in [SessionStatus.planning, .planningComplete, .working, .registered, .working] {
            s = try s.applying(update(status), at: now)
            #expect(s.status == status)
            #expect(s.lastUpdate == now)
        }
        #expect(throws: TransitionError.self) { try s.applying(update(.stuck), at: now) }
        s = try s.applying(update(.stuck, reason: "decision"), at: now)
        #expect(s.stuck?.reason == "decision")
        #expect(s.stuck?.since == now)
        s = try s.applying(update(.working), at: now)
        #expect(s.stuck == nil)
    }

    @Test func pauseRemembersAndRefusesWorkerUpdates() throws {
        var s = try session.applying(update(.stuck, reason: "why"), at: now)
        s = try s.applying(.pause, at: now)
        #expect(s.status == .paused)
        #expect(s.pausedFrom == .stuck)
        do {
            _ = try s.applying(update(.working), at: now)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .paused)
            #expect(error.message.contains("#7"))
            #expect(error.message.contains("paused"))
        }
        #expect(throws: TransitionError.self) { try s.applying(.pause, at: now) }
        let resumed = try s.applying(.resume, at: now)
        #expect(resumed.status == .stuck)
        #expect(resumed.stuck?.reason == "why")
        #expect(resumed.pausedFrom == nil)
        let forced = try s.applying(update(.working, force: true), at: now)
        #expect(forced.status == .working)
        #expect(forced.pausedFrom == nil)
    }

    @Test func terminalSessionsRefuseChanges() throws {
        let shipped = try session.applying(.ship(pr: "https://example.com/o/r/pull/1", force: false), at: now)
        #expect(shipped.status == .complete)
        #expect(shipped.pr == "https://example.com/o/r/pull/1")
        let cancelled = try session.applying(.cancel, at: now)
        for terminal in [shipped, cancelled] {
            for change in [update(.working), .pause, .resume, .cancel, .guide(message: "x"), .ship(pr: "https://e.com/p/1", force: true)] {
                do {
                    _ = try terminal.applying(change, at: now)
                    Issue.record("expected a refusal")
                } catch {
                    #expect(error.kind == .terminal)
                }
            }
        }
    }

    @Test func pauseAndCancelAreTheirOwnCommands() {
        #expect(throws: TransitionError.self) { try session.applying(update(.paused), at: now) }
        #expect(throws: TransitionError.self) { try session.applying(update(.cancelled), at: now) }
    }

    @Test func guidanceAppends() throws {
        var s = try session.applying(.guide(message: "use sliding"), at: now)
        s = try s.applying(.guide(message: "and log it"), at: now)
        #expect(s.guidance.map(\.message) == ["use sliding", "and log it"])
        #expect(throws: TransitionError.self) { try s.applying(.guide(message: "  "), at: now) }
    }
}
