import Foundation
import Testing
import TestSupport
@testable import Config
import GitKit
@testable import Lifecycle
import SessionKit
@testable import Support
@testable import View
@testable import LifecycleCore

@Suite struct ConfigAndHookTests {
    @Test func configFileReadsTomlAndFindsKeyLines() throws {
        let document = try ConfigFile(parsing: """
        # comment
        base = "origin/develop"   # trailing comment
        copy = [".env*", '.envrc',
                ".dev.vars"]
        stale_after = 90
        spawn = ["tmux", "new-window", "-c", "{worktree}"]
        [labels]
        "good first issue" = "chore"
        [hooks]
        post_create = ["npm install", ["make", "setup"]]
        inline = { a = 1, b.c = true }
        notes = \"\"\"
        x = 1
        \"\"\"
        when = 1979-05-27T07:32:00Z
        """, file: "f.toml")
        #expect(document.value(at: "base") == .string("origin/develop"))
        #expect(document.value(at: "copy") == .array([.string(".env*"), .string(".envrc"), .string(".dev.vars")]))
        #expect(document.value(at: "labels", "good first issue") == .string("chore"))
        #expect(document.root["labels"] == .table(["good first issue": .string("chore")]))
        #expect(document.value(at: "hooks", "inline", "b", "c") == .bool(true))
        #expect(document.value(at: "hooks", "notes") == .string("x = 1\n"))
        #expect(document.value(at: "hooks", "when")?.typeName == "a date-time")
        #expect(document.line(of: ["hooks", "post_create"]) == 10)
        #expect(document.line(of: ["hooks", "inline", "b"]) == 11)
        #expect(document.line(of: ["labels", "good first issue"]) == 8)
        #expect(document.line(of: ["x"]) == nil)
        #expect(document.line(of: ["hooks", "x"]) == 9)
        #expect(ConfigFile.keyPath(["labels", "good first issue"]) == "labels.\"good first issue\"")
    }

    /// Valid TOML that the earlier hand-written reader refused now configures ppds.
    @Test func fullTomlWhereppdsUsesIt() throws {
        var config = Config()
        try config.apply(#"""
        # Every TOML string form for a hook's shell line.
        spawn = 'tmux new-window -c "{worktree}"'
        copy = [
          ".env",    # secrets
          '.envrc',
        ]
        labels = { "good first issue" = "chore", Bug = "fix" }

        [hooks]
        post_create = [
          """
        npm install
        npm run build
        """,
          ['make', 'setup'],  # an argument vector
        ]
        on_stuck = """
        notify-send "stuck: $PPDS_BRANCH" && \
          echo stuck >> ~/ppds.log"""
        """#, file: "/r/.ppds.toml", fromRepository: true)
        #expect(config.spawn == .shell(#"tmux new-window -c "{worktree}""#))
        #expect(config.onStuck == [.shell(#"notify-send "stuck: $PPDS_BRANCH" && echo stuck >> ~/ppds.log"#)])
        #expect(config.copy == [".env", ".envrc"])
        #expect(config.labelTypes["good first issue"] == "chore")
        #expect(config.labelTypes["bug"] == "fix")
        #expect(config.postCreate == [.shell("npm install\nnpm run build\n"), .argv(["make", "setup"])])
        config.repositoryCommandsTrusted = false
        #expect(!config.mayRun("hooks.post_create") && !config.mayRun("hooks.on_stuck") && !config.mayRun("spawn"))

        // Dotted keys and an inline table for the hooks table.
        var dotted = Config()
        try dotted.apply("""
        hooks.post_create = [
          "echo one",  # first
          ["echo", "two"],
        ]
        hooks.on_complete = "echo done"
        """, file: "/h/config.toml", fromRepository: false)
        #expect(dotted.postCreate == [.shell("echo one"), .argv(["echo", "two"])])
        #expect(dotted.onComplete == [.shell("echo done")])
        #expect(dotted.mayRun("hooks.post_create"))
        var inline = Config()
        try inline.apply(#"hooks = { on_stuck = [["say", "stuck"]], on_complete = 'echo "done"' }"#, file: "/h/config.toml", fromRepository: false)
        #expect(inline.onStuck == [.argv(["say", "stuck"])])
        #expect(inline.onComplete == [.shell(#"echo "done""#)])
    }

    /// End to end: a hook written as a multi-line string runs as one shell script.
    @Test func aMultiLineHookRunsInTheWorktree() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try #"""
        [hooks]
        post_create = [
          """
        echo "issue $PPDS_ISSUE" > multi.txt
        echo 'second line' >> multi.txt
        """,  # one script, two commands
        ]
        """#.write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let (worktree, _) = try fixture.started(14, title: "Multi")
        #expect(try String(contentsOfFile: worktree + "/multi.txt", encoding: .utf8) == "issue 14\nsecond line\n")
    }

    @Test func configErrorsNameFileLineAndKeyPath() throws {
        func error(_ text: String) -> String {
            var config = Config()
            do {
                try config.apply(text, file: "/r/.ppds.toml", fromRepository: true)
                return "no error"
            } catch {
                #expect(error.reason == .invalid)
                return error.message
            }
        }
        // Syntax errors: file and line from toml++.
        let unterminated = error("base = \"main\"\n[hooks]\npost_create = [\"a\",\n")
        #expect(unterminated == "/r/.ppds.toml:3: Error while parsing array: encountered end-of-file (column 21)")
        let bare = error("# first\nbase = main\n")
        #expect(bare.hasPrefix("/r/.ppds.toml:2: "), "\(bare)")
        let twice = error("base = \"a\"\nbase = \"b\"\n")
        #expect(twice.hasPrefix("/r/.ppds.toml:2: ") && twice.contains("base"), "\(twice)")
        #expect(error("base = \"a\"\0\n").hasPrefix("/r/.ppds.toml:1: a NUL character"))
        // Hostile nesting is a syntax error, not a deep recursion.
        let deep = error("copy = " + String(repeating: "[", count: 100_000))
        #expect(deep.hasPrefix("/r/.ppds.toml:1: ") && deep.contains("nested value depth"), "\(deep)")
        // A key with an escaped NUL comes back from C cut short: an error, not a crash.
        #expect(error(#"labels = { "a\u0000b" = "x" }"#) == "/r/.ppds.toml: key 'labels.a' cannot be read (a NUL character in it?)")
        // Wrong types: the key path, and the line that defines it.
        #expect(error("[hooks]\npost_create = 3\n") == "/r/.ppds.toml:2: key 'hooks.post_create': expected a command: a string (run by /bin/sh) or an array of arguments, found an integer")
        #expect(error("hooks.on_stuck = [[\"say\", 1]]\n") == "/r/.ppds.toml:1: key 'hooks.on_stuck': a command's arguments must be strings, found an integer")
        #expect(error("\n\nhooks = { post_create = true }\n") == "/r/.ppds.toml:3: key 'hooks.post_create': expected a command: a string (run by /bin/sh) or an array of arguments, found a boolean")
        #expect(error("base = 1979-05-27\n") == "/r/.ppds.toml:1: key 'base': expected a string, found a date")
        #expect(error("[[hooks]]\npost_create = \"x\"\n") == "/r/.ppds.toml:1: key 'hooks': expected a table")
        #expect(error("[labels]\n\"good first issue\" = 1\n") == "/r/.ppds.toml:2: key 'labels.\"good first issue\"': expected a string")
        // A `key =` line inside a multi-line string is not where the key is.
        #expect(error("base = \"\"\"\nstale_after = 1\n\"\"\"\nstale_after = 0\n").hasPrefix("/r/.ppds.toml:4: key 'stale_after': expected minutes"))
        #expect(error("stale_after = \"soon\"\n") == "/r/.ppds.toml:1: key 'stale_after': 'soon' is not a duration (e.g. 90, \"45m\", \"2h\")")
        // Unknown keys, at the top and under [hooks].
        #expect(error("base = \"main\"\ncolour = \"red\"\n").hasPrefix("/r/.ppds.toml:2: key 'colour': unknown key (known: agents, base, branch,"))
        #expect(error("[hooks]\npre_create = \"x\"\n") == "/r/.ppds.toml:2: key 'hooks.pre_create': unknown hook (known: post_create, on_stuck, on_complete)")
    }

    @Test func malformedConfigNamesFileLineAndKey() throws {
        let fixture = try GitFixture()
        let cases: [(String, String)] = [
            ("base = \"main\"\ncopy = \".env\"\n", ":2: key 'copy': expected an array of strings"),
            ("base = main\n", ":1: Error while parsing value: could not determine value type (column 8)"),
            ("[hooks]\npost_create = 3\n", ":2: key 'hooks.post_create'"),
            ("stale_after = \"soon\"\n", ":1: key 'stale_after'"),
            ("colour = \"red\"\n", ":1: key 'colour': unknown key"),
            ("base = \"a\"\nbase = \"b\"\n", ":2: Error while parsing key-value pair: cannot redefine existing string 'base'"),
            ("branch = \"{type}/fixed\"\n", "key 'branch': the template needs {slug}"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
            let result = try fixture.ppds(["start-work", "1", "--offline"])
            #expect(result.status == 2, "\(text)")
            #expect(result.stderr.contains(fixture.repo + "/.ppds.toml" + (expected.hasPrefix(":") ? "" : ":")), "\(result.stderr)")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
        }
        #expect(try fixture.worktreePaths() == [fixture.repo])
    }

    @Test func templatesTypesAndLabelsFromConfig() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try """
        branch = "{type}/{issue}-{slug}"
        worktree = "{parent}/trees/{repo}/{issue}"
        default_type = "chore"
        """.write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let (worktree, branch) = try fixture.started(5, title: "Tidy up")
        #expect(branch == "chore/5-tidy-up")
        #expect(worktree == fixture.folder.file("trees/repo/5"))
        let (_, results) = try fixture.startWork(["6", "--type", "docs"])
        #expect(results.first?["branch"] as? String == "docs/6-issue-6")
    }

    @Test func copiesIgnoredFilesOnly() throws {
        let fixture = try GitFixture()
        try ".env\n.env.local\n".write(toFile: fixture.repo + "/.gitignore", atomically: true, encoding: .utf8)
        try fixture.git("add", ".gitignore")
        try fixture.git("commit", "-q", "-m", "ignore env")
        try "SECRET=1\n".write(toFile: fixture.repo + "/.env", atomically: true, encoding: .utf8)
        try "LOCAL=1\n".write(toFile: fixture.repo + "/.env.local", atomically: true, encoding: .utf8)
        try "not ignored\n".write(toFile: fixture.repo + "/.env.example", atomically: true, encoding: .utf8)
        try "copy = [\".env*\"]\n".write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
        let (worktree, _) = try fixture.started(7, title: "Copy")
        #expect(try String(contentsOfFile: worktree + "/.env", encoding: .utf8) == "SECRET=1\n")
        #expect(FileManager.default.fileExists(atPath: worktree + "/.env.local"))
        #expect(!FileManager.default.fileExists(atPath: worktree + "/.env.example"))
    }

    @Test func repositoryHooksRunOnlyOnceTrusted() throws {
        let fixture = try GitFixture()
        try """
        [hooks]
        post_create = ["echo \\"$PPDS_ISSUE $PPDS_BRANCH $PPDS_TITLE\\" > hook-ran.txt", ["touch", "argv-ran.txt"]]
        """.write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
        let untrusted = try fixture.ppds(["start-work", "8", "--offline", "--title=$(touch pwned) title"]).check()
        #expect(untrusted.stdout.contains("ppds trust"))
        let first = fixture.folder.file("repo-touch-pwned-title")
        #expect(!FileManager.default.fileExists(atPath: first + "/hook-ran.txt"))

        try fixture.ppds(["trust"]).check()
        let trusted = try fixture.ppds(["start-work", "9", "--offline", "--title=$(touch pwned) again"]).check()
        let second = fixture.folder.file("repo-touch-pwned-again")
        #expect(trusted.stdout.contains("post_create ok"))
        #expect(try String(contentsOfFile: second + "/hook-ran.txt", encoding: .utf8) == "9 feat/touch-pwned-again $(touch pwned) again\n")
        #expect(FileManager.default.fileExists(atPath: second + "/argv-ran.txt"))
        #expect(!FileManager.default.fileExists(atPath: second + "/pwned"))

        // Any change to the file needs trusting again.
        try (try String(contentsOfFile: fixture.repo + "/.ppds.toml", encoding: .utf8) + "\n# changed\n")
            .write(toFile: fixture.repo + "/.ppds.toml", atomically: true, encoding: .utf8)
        let changed = try fixture.ppds(["start-work", "10", "--offline"]).check()
        #expect(changed.stdout.contains("skipped"))
    }

    @Test func aFailingHookIsReportedAndLeavesTheSessionRegistered() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try "spawn = [\"sh\", \"-c\", \"echo spawned > spawned.txt\"]\n[hooks]\npost_create = [[\"false\"]]\n"
            .write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let result = try fixture.ppds(["start-work", "11", "--offline", "--json"])
        #expect(result.status == 1)
        let item = try #require((try result.json()["results"] as? [[String: Any]])?.first)
        #expect(item["outcome"] as? String == "started")
        let hooks = try #require(item["hooks"] as? [[String: Any]])
        #expect(hooks.first?["outcome"] as? String == "failed")
        // The spawn exits 0 at once: ok, not failed.
        #expect(hooks.last?["outcome"] as? String == "ok")
        #expect(item["status"] as? String == "registered")
        #expect(fixture.sessionFileExists(11))
        let spawned = fixture.folder.file("repo-issue-11/spawned.txt")
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: spawned) { usleep(100_000) }
        #expect(FileManager.default.fileExists(atPath: spawned))
        // --no-hooks runs neither.
        try fixture.ppds(["start-work", "12", "--offline", "--no-hooks"]).check()
    }

    /// `PPDS_FAULT` is for this ppds only: hooks and the worker spawn never see it (a worker
    /// that runs ppds itself would otherwise fail at the same checkpoint).
    @Test func hooksAndSpawnDoNotSeeTheFaultVariable() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        let probe = "echo fault=${PPDS_FAULT-unset} other=${PPDS_TEST_OTHER-unset} >"
        try """
        spawn = ["sh", "-c", "\(probe) spawn-env.txt"]
        [hooks]
        post_create = [["sh", "-c", "\(probe) hook-env.txt"]]
        """.write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        // A checkpoint name that does not exist: start-work succeeds, the variable is set.
        let (result, results) = try fixture.startWork(["13", "--title", "Probe"],
                                                      environment: ["PPDS_FAULT": "noSuchCheckpoint:kill", "PPDS_TEST_OTHER": "kept"])
        try result.check()
        let worktree = try #require(results.first?["worktree"] as? String)
        #expect(try String(contentsOfFile: worktree + "/hook-env.txt", encoding: .utf8) == "fault=unset other=kept\n")
        let spawned = worktree + "/spawn-env.txt"
        for _ in 0..<50 where ((try? String(contentsOfFile: spawned, encoding: .utf8)) ?? "").isEmpty { usleep(100_000) }
        #expect(try String(contentsOfFile: spawned, encoding: .utf8) == "fault=unset other=kept\n")
    }

    @Test func slugsAreKebabAsciiAndCappedAtAWordBoundary() {
        let issue = IssueNumber(3)!
        #expect(Naming.slug("Fix the Auth bug!", issue: issue) == "fix-the-auth-bug")
        #expect(Naming.slug("Café — naïve résumé", issue: issue) == "cafe-naive-resume")
        #expect(Naming.slug("日本語", issue: issue) == "issue-3")
        #expect(Naming.slug(nil, issue: issue) == "issue-3")
        let long = Naming.slug("Refactor the pricing rules engine so that coupons stack correctly", issue: issue)
        #expect(long == "refactor-the-pricing-rules-engine-so")
        #expect(long.count <= Naming.maxSlugLength)
    }
}
