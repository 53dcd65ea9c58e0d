import Foundation
import Testing
import TestSupport
import SessionKit
import Support

/// 20 processes of the built binary update one session at once: no update is lost, and the
/// file is valid JSON at the end.
@Suite struct ConcurrentProcessTests {
    @Test func twentyProcessesUpdatingOneSession() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        let issue = IssueNumber(42)!
        try store.save(Session(issue: issue, status: .working, branch: "feat/x", worktree: "/w", started: Date()))

        let processes = try (0..<20).map { index in try launchPPDS(["guide", "42", "message \(index)"], home: folder.path) }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: store.path(for: issue)))
        #expect((try? JSONSerialization.jsonObject(with: data)) != nil)
        let session = try store.load(issue)
        #expect(Set(session.guidance.map(\.message)) == Set((0..<20).map { "message \($0)" }))
    }
}
