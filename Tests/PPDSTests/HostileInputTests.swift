import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

/// Config values, arguments and paths that try to escape folders or run code.
@Suite struct HostileInputTests {
    @Test func templatesThatLeaveTheFolderAreRefused() throws {
        let fixture = try GitFixture()
        for template in ["worktree = \"{parent}/../../tmp/{slug}\"", "worktree = \"relative/{slug}\"", "branch = \"{type}/../{slug}\"",
                         "branch = \"-{slug}\"", "branch = \"{slug}.lock\""] {
            try (template + "\n").write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
            let result = try fixture.ppds(["start-work", "1", "--offline", "--title", "x"])
            #expect(result.status == 1, "\(template)")
            #expect(!result.stderr.isEmpty)
            #expect(try fixture.worktreePaths() == [fixture.repo], "\(template)")
            #expect(try fixture.siblings().isEmpty, "\(template)")
        }
    }

    @Test func copyPatternsCannotReachOutside() throws {
        let fixture = try GitFixture()
        try "secret\n".write(toFile: fixture.folder.file("outside.env"), atomically: true, encoding: .utf8)
        try "copy = [\"../outside.env\", \"/etc/passwd\", \"*/../../outside.env\"]\n".write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
        let (worktree, _) = try fixture.started(2, title: "Copy")
        #expect(!FileManager.default.fileExists(atPath: worktree + "/passwd"))
        #expect(!FileManager.default.fileExists(atPath: worktree + "/outside.env"))
        #expect(try fixture.git("status", "--porcelain", "--ignored", in: worktree).isEmpty)
    }

    @Test func argumentsAndPathsGetClearErrors() throws {
        let fixture = try GitFixture()
        let cases: [([String], Int32, String)] = [
            (["start-work", "../../etc", "--offline"], 64, "../../etc"),
            (["start-work", "1", "--offline", "--type", "../x"], 64, "../x"),
            (["start-work", "1", "--offline", "--type", "$(touch pwned)"], 64, "$(touch pwned)"),
            (["start-work", "1", "--offline", "--base", "--upload-pack=touch pwned"], 64, "--base"),
            (["start-work", "1", "--offline", "--base=-x"], 1, "-x"),
            (["status", "--repo", "/nonexistent/$(touch pwned)"], 2, "/nonexistent/$(touch pwned)"),
            (["status", "--repo", fixture.repo + "/README.md"], 2, "README.md"),
            (["show", "99999999999999999999999"], 64, "99999999999999999999999"),
            (["ship", "1", "--pr", "javascript:alert(1)"], 64, "javascript:alert(1)"),
            (["ship", "1", "--pr", "https://example.com/a b"], 64, "https://example.com/a b"),
            (["prune", "--min-age", "forever"], 64, "forever"),
        ]
        for (arguments, code, named) in cases {
            let result = try fixture.ppds(arguments)
            #expect(result.status == code, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(named), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/pwned"))
        #expect(!FileManager.default.fileExists(atPath: "pwned"))
        #expect(try fixture.worktreePaths() == [fixture.repo])
    }

    @Test func oddButValidPathsWork() throws {
        let fixture = try GitFixture()
        let home = fixture.folder.file("home with spaces $(x) 'q'")
        let result = try fixture.ppds(["start-work", "3", "--offline", "--title", "Spaces"], environment: ["PPDS_HOME": home])
        try result.check()
        #expect(FileManager.default.fileExists(atPath: home + "/sessions/work-3.json"))
        let shown = try fixture.ppds(["show", "3", "--json"], environment: ["PPDS_HOME": home]).check().json()
        #expect(((shown["session"] as? [String: Any])?["git"] as? [String: Any])?["worktreeExists"] as? Bool == true)
    }

    @Test func spawnArgumentsAreNeverAShellLine() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        let log = fixture.folder.file("spawn-args.txt")
        try "spawn = [\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$@\\\" > \(log)\", \"spawn\", \"{branch}\", \"{worktree}\"]\n"
            .write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        try fixture.ppds(["start-work", "4", "--offline", "--title=`touch pwned` $(touch pwned2); rm -rf /"]).check()
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: log) { usleep(100_000) }
        usleep(100_000)
        let args = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(args == ["feat/touch-pwned-touch-pwned2-rm-rf", fixture.folder.file("repo-touch-pwned-touch-pwned2-rm-rf")])
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("repo-touch-pwned-touch-pwned2-rm-rf/pwned")))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("repo-touch-pwned-touch-pwned2-rm-rf/pwned2")))
    }
}
