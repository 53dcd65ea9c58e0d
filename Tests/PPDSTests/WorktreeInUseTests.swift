import Foundation
import Testing
import TestSupport
import Support

/// A worktree a live process uses (its current folder, an open file, a folder below) is never
/// removed: prune names the process, and succeeds once it has ended.
@Suite struct WorktreeInUseTests {
    /// Starts `sh -c script arg` (the shell execs `sleep`, so the pid is the sleeper's).
    func sleeper(_ script: String, _ argument: String, in folder: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, argument]
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Until the shell has exec'd sleep (and opened what it was told), /proc may show sh.
        for _ in 0..<100 where !ProcessTable.command(of: process.processIdentifier).hasPrefix("sleep") { usleep(20_000) }
        return process
    }

    func end(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func aProcessInsideKeepsTheWorktreeUntilItEnds() throws {
        let fixture = try GitFixture()
        let (worktree, branch) = try fixture.started(1, title: "In use")
        try fixture.commit("f1.txt", "work\n", in: worktree)
        try fixture.ppds(["ship", "1", "--pr", "https://example.com/o/r/pull/1", "--force"]).check()
        try fixture.git("merge", "-q", "--no-ff", "-m", "merge", branch)
        try FileManager.default.createDirectory(atPath: worktree + "/sub/deeper", withIntermediateDirectories: true)
        // The same folder by another path: a symlink beside the repository.
        let link = fixture.folder.file("link-to-worktree")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: worktree)

        let cases: [(String, String, String?, String)] = [
            ("exec sleep 600", "", worktree, "its current folder is inside"),
            ("exec sleep 600", "", link + "/sub/deeper", "its current folder is inside"),
            ("exec sleep 600 < \"$0\"", link + "/f1.txt", nil, "open"),
        ]
        for (script, argument, folder, words) in cases {
            let process = try sleeper(script, argument, in: folder)
            let pid = process.processIdentifier
            let (result, items) = try fixture.prune()
            end(process)
            #expect(result.status == 0)
            let item = try #require(items["#1"])
            #expect(item["outcome"] as? String == "keptInUse", "\(script) \(folder ?? argument)")
            #expect(item["reasonKind"] as? String == "usedByProcesses")
            let reason = item["reason"] as? String ?? ""
            #expect(reason.contains("process \(pid) (sleep 600)") && reason.contains(words), "\(reason)")
            #expect((item["usedBy"] as? [[String: Any]])?.first?["pid"] as? Int == Int(pid))
            #expect(FileManager.default.fileExists(atPath: worktree + "/f1.txt"))
        }
        // The text names it too (escaped like all terminal text).
        let process = try sleeper("exec sleep 600", "", in: worktree + "/sub")
        let text = try fixture.ppds(["prune", "--dry-run"]).stdout
        end(process)
        #expect(text.contains("keptInUse") && text.contains("process \(process.processIdentifier) (sleep 600)"), "\(text)")

        // Once it has ended, prune removes it.
        let (result, items) = try fixture.prune()
        try result.check()
        #expect(items["#1"]?["outcome"] as? String == "removed", "\(items)")
        #expect(!FileManager.default.fileExists(atPath: worktree))
    }

    @Test func cancelRemoveKeepsAWorktreeInUse() throws {
        let fixture = try GitFixture()
        let (worktree, _) = try fixture.started(9, title: "Cancel me")
        let process = try sleeper("exec sleep 600", "", in: worktree)
        let cancelled = try fixture.ppds(["cancel", "9", "--remove", "--json"])
        end(process)
        #expect(cancelled.stdout.contains("keptInUse") && cancelled.stdout.contains("usedByProcesses"), "\(cancelled.stdout)")
        #expect(FileManager.default.fileExists(atPath: worktree))
        let (result, items) = try fixture.prune(["9", "--min-age", "0s"])
        try result.check()
        #expect(items["#9"]?["outcome"] as? String == "removed", "\(items)")
    }

    @Test func theScanComparesFoldersByIdentity() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("a/b"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("alias"), withDestinationPath: folder.file("a"))
        let process = try sleeper("exec sleep 600", "", in: folder.file("alias/b"))
        defer { end(process) }
        // The sleeper is this test's child: seen only when children are not left out.
        #expect(ProcessPlaces.scan().users(of: folder.file("a")).isEmpty)
        let places = ProcessPlaces.scan(excludingChildren: false)
        #expect(places.users(of: folder.file("a")).map(\.pid) == [process.processIdentifier])
        #expect(places.users(of: folder.file("alias")).map(\.pid) == [process.processIdentifier])
        #expect(places.users(of: folder.file("a/b")).first?.use == .currentFolder)
        // A sibling folder whose name starts the same is not inside.
        try FileManager.default.createDirectory(atPath: folder.file("a2"), withIntermediateDirectories: true)
        #expect(places.users(of: folder.file("a2")).isEmpty)
        // This process is never its own obstacle.
        let here = ProcessPlaces.scan()
        #expect(!here.users(of: FileManager.default.currentDirectoryPath).contains { $0.pid == getpid() })
    }
}
