import Foundation
import Testing
import TestSupport
import SessionKit
import Support

@Suite struct SessionStoreTests {
    func makeSession(_ issue: Int) -> Session {
        Session(issue: IssueNumber(issue)!, branch: "feat/\(issue)", worktree: "/w/\(issue)", started: Date())
    }

    @Test func savesAtomicallyAndLists() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(2))
        try store.save(makeSession(1))
        let listing = store.list()
        #expect(listing.sessions.map(\.issue.value) == [1, 2])
        #expect(listing.errors.isEmpty)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.sessionsDir).sorted() == ["work-1.json", "work-2.json"])
    }

    @Test func oneBadFileNeverHidesTheGoodOnes() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        try "{oops".write(toFile: store.sessionsDir + "/work-5.json", atomically: true, encoding: .utf8)
        try store.save(makeSession(9))
        let listing = store.list()
        #expect(listing.sessions.map(\.issue.value) == [1, 9])
        #expect(listing.errors.map(\.file) == [store.sessionsDir + "/work-5.json"])
        // The bad file is needed by a change: refused, and left exactly as it was.
        #expect(throws: RegistryError.self) { try store.modify(IssueNumber(5)!) { $0 } }
        #expect(throws: RegistryError.self) { try store.remove(IssueNumber(5)!) }
        #expect(try String(contentsOfFile: store.sessionsDir + "/work-5.json", encoding: .utf8) == "{oops")
        // Moving it aside keeps its bytes.
        let moved = try store.moveAside(store.sessionsDir + "/work-5.json")
        #expect(try String(contentsOfFile: moved, encoding: .utf8) == "{oops")
        #expect(store.list().errors.isEmpty)
    }

    @Test func homeComesFromPPDSHome() {
        #expect(SessionStore.defaultHome(environment: ["PPDS_HOME": "/x/y", "HOME": "/h"]) == "/x/y")
        #expect(SessionStore.defaultHome(environment: ["HOME": "/h"]) == "/h/.ppds")
    }

    @Test func concurrentThreadsLoseNoUpdate() async throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        let issue = IssueNumber(3)!
        try store.save(makeSession(3))
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    _ = try? store.modify(issue) { try $0.applying(.guide(message: "m\(index)"), at: Date()) }
                }
            }
        }
        #expect(try store.load(issue).guidance.count == 40)
    }
}
