import Foundation
import Testing
import TestSupport
import Support

/// A registry commit from a newer ppds (meta.json `version` above this one's) is refused with
/// the next step, never misread as this format.
@Suite struct RegistryFormatTests {
    @Test func aCommitInANewerFormatIsRefusedWithTheNextStep() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "31", "--offline", "--title", "Today's format"]).check()
        try machines.sync(a)
        // Machine a, upgraded, writes #31's next commit in format 2.
        let bare = machines.bare
        func git(_ arguments: [String], stdin: String? = nil) throws -> String {
            try runProcess("/usr/bin/git", ["-C", bare] + arguments, stdin: stdin).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let parent = try git(["rev-parse", "refs/ppds/sessions/31"])
        var meta = try #require(try JSONSerialization.jsonObject(with: Data(git(["show", parent + ":meta.json"]).utf8)) as? [String: Any])
        meta["version"] = 2
        meta["lamport"] = 99
        meta["state"] = ["a shape": "this ppds does not know"]
        let file = machines.seed.folder.file("newer-meta.json")
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: file))
        let blob = try git(["hash-object", "-w", file])
        let session = try git(["rev-parse", parent + ":session.json"])
        let tree = try git(["mktree"], stdin: "100644 blob \(blob)\tmeta.json\n100644 blob \(session)\tsession.json\n")
        let commit = try git(["commit-tree", tree, "-p", parent, "-m", "format 2"])
        _ = try git(["update-ref", "refs/ppds/sessions/31", commit])

        for machine in [b, a] {
            let before = try machines.canonical(machine, 31)
            let result = try machines.ppds(machine, ["sync", "--json"])
            #expect(result.status == 1)
            let sessions = try #require(result.json()["sessions"] as? [[String: Any]])
            let item = try #require(sessions.first { $0["issue"] as? String == "#31" })
            #expect(item["outcome"] as? String == "failed")
            let message = try #require(item["message"] as? String)
            #expect(message.contains("registry format 2"), "\(message)")
            #expect(message.contains("Upgrade ppds"), "\(message)")
            #expect(message.contains(a.id), "names the machine that wrote it: \(message)")
            // Nothing of the session changed: machine b has no copy, machine a its own file.
            #expect(try machines.canonical(machine, 31) == before)
        }
    }
}
