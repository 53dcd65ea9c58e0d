import Foundation
import Synchronization
import Testing
import TestSupport
@testable import GitKit

/// libgit2 1.5.1 checks that a ref does not exist before it takes the ref's lock, so two
/// create-only writes can both "win". A claim is a create-only push: through a local remote,
/// exactly one of many racing writers must win each ref.
@Suite struct CreateOnlyRefRaceTests {
    @Test func manyWritersCreatingOneRefThroughALocalRemoteHaveOneWinner() throws {
        let fixture = try GitFixture()
        let remote = fixture.folder.file("remote.git")
        try fixture.git("init", "-q", "--bare", remote)
        try fixture.git("remote", "add", "registry", "file://" + remote)
        let writers = 12
        // One distinct commit per writer, all in the local repository.
        var made: [ObjectID] = []
        for index in 0..<writers {
            made.append(ObjectID(hex: try fixture.commit("w\(index).txt", "\(index)\n"))!)
        }
        let commits = made
        for round in 0..<15 {
            let name = "refs/ppds/claims/\(round + 1)"
            let wins = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: writers) { index in
                guard let repository = try? Repository.open(at: fixture.repo),
                      let outcomes = try? repository.pushReferences(remote: "registry", [RemoteRefUpdate(name: name, new: commits[index], expected: nil)])
                else { return }
                if outcomes[name] == .updated { wins.add(1, ordering: .relaxed) }
            }
            #expect(wins.load(ordering: .relaxed) == 1, "round \(round): \(wins.load(ordering: .relaxed)) writers created \(name)")
        }
    }
}
