import Foundation
import Testing
import TestSupport

/// Getting into a worktree, the view's groups and the wording of everyday messages.
@Suite struct EverydayUseTests {
    let fixture: GitFixture

    init() throws { fixture = try GitFixture() }

    /// Runs `script` in bash with ppds on PATH and this fixture's home.
    func bash(_ script: String, in directory: String? = nil) throws -> ProcessResult {
        let folder = (TestEnvironment.ppdsBinary as NSString).deletingLastPathComponent
        return try runProcess("/bin/bash", ["-c", script], in: directory ?? fixture.repo,
                              environment: ["PPDS_HOME": fixture.home, "PATH": folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
    }

    @Test func pathAndTheShellFunctionGetYouIntoAWorktree() throws {
        let (worktree, _) = try fixture.started(5, title: "Five")
        #expect(try fixture.ppds(["path", "5"]).check().stdout == worktree + "\n")
        let cd = try bash(#"eval "$(ppds shell-init bash)"; ppds cd 5 && pwd"#)
        #expect(cd.stdout.hasSuffix(worktree + "\n"), "\(cd.stdout) \(cd.stderr)")
        let started = try bash(#"eval "$(ppds shell-init bash)"; ppds start-work 6 --offline --title 'Six here' --cd && pwd"#)
        #expect(started.status == 0, "\(started.stderr)")
        #expect(started.stdout.hasSuffix("-six-here\n"), "\(started.stdout)")
        #expect(started.stderr.contains("#6 started"))
        let missing = try bash(#"eval "$(ppds shell-init bash)"; ppds cd 99; pwd"#)
        #expect(missing.stdout == fixture.repo + "\n")
        #expect(try fixture.ppds(["shell-init", "fish"]).check().stdout.contains("function ppds"))
        #expect(try fixture.ppds(["shell-init", "zsh"]).check().stdout.contains("builtin cd"))
        #expect(try fixture.ppds(["cd", "5"]).stderr.contains("shell-init"))
    }

    @Test func slipsGetAPointer() throws {
        let typo = try fixture.ppds(["stauts"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("did you mean 'status'"))
        #expect(try fixture.ppds(["start", "3"]).stderr.contains("did you mean 'start-work'"))
        let negative = try fixture.ppds(["show", "-3"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("positive"))
        let json = try fixture.ppds(["update", "999", "--status", "working", "--json"])
        #expect(json.status == 2)
        #expect(json.stderr.contains("#999"))
        let error = try json.json()["error"] as? [String: Any]
        #expect(error?["kind"] as? String == "notFound")
        let prune = try fixture.ppds(["prune", "3199"])
        #expect(prune.stdout.contains("✘ #3199 failed: no session"), "\(prune.stdout)")
    }

    @Test func stuckComesFirstAndEachLineSaysWhereToGo() throws {
        let (worktree, _) = try fixture.started(1, title: "Working one")
        try fixture.ppds(["update", "1", "--status", "working"]).check()
        try fixture.started(2, title: "Stuck one")
        try fixture.ppds(["update", "2", "--status", "stuck", "--reason", "Which way?"]).check()
        try fixture.started(3, title: "Just started")
        try fixture.started(4, title: "Done without PR")
        try fixture.ppds(["update", "4", "--status", "complete"]).check()
        let text = try fixture.ppds(["status"]).check().stdout
        let headings = text.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init)
        #expect(headings.first?.contains("Stuck") == true, "\(text)")
        #expect(text.contains("Starting: 1 session"))
        #expect(!text.contains("PR Ready"))
        #expect(text.contains("Complete (no PR)"))
        #expect(text.contains(worktree), "\(text)")
        let paused = try fixture.ppds(["pause", "1"]).check().stdout
        #expect(paused == "#1 paused (was working); 'ppds resume 1' returns to it\n")
        let guided = try fixture.ppds(["guide", "2", "go left"]).check().stdout
        #expect(guided == "#2 guided (1 message so far); the session is stuck\n")
    }

    @Test func oneLinePerSessionAndDirtyInText() throws {
        let (worktree, branch) = try fixture.started(7, title: "Seven")
        try "draft\n".write(toFile: worktree + "/draft.txt", atomically: true, encoding: .utf8)
        let list = try fixture.ppds(["list"]).check().stdout.split(separator: "\n").map(String.init)
        #expect(list.first?.hasPrefix("ISSUE") == true)
        let row = try #require(list.first { $0.hasPrefix("#7") })
        for cell in ["registered", branch, "+0/-0", "yes", worktree] { #expect(row.contains(cell), "\(row)") }
        let dirty = try fixture.ppds(["status", "--dirty"]).check().stdout
        #expect(dirty.contains("dirty: 1 untracked file"), "\(dirty)")
        #expect(try fixture.ppds(["ls"]).stderr.contains("did you mean 'list'"))
    }

    /// On a terminal, watch hides the cursor; SIGTERM, like Ctrl-C, shows it again.
    @Test func watchRestoresTheCursorOnSigterm() throws {
        try fixture.started(8, title: "Eight")
        let driver = #"""
        import os, pty, signal, sys, time
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[1], [sys.argv[1], "watch", "--interval", "5"])
        out = b""
        deadline = time.time() + 10
        while b"#8" not in out and time.time() < deadline:
            out += os.read(fd, 65536)
        os.kill(pid, signal.SIGTERM)
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        sys.stdout.write("hidden=%d shown=%d exit=%d" % (b"\x1b[?25l" in out, out.rstrip().endswith(b"\x1b[?25h"), os.waitstatus_to_exitcode(status)))
        """#
        let result = try runProcess("/usr/bin/python3", ["-c", driver, TestEnvironment.ppdsBinary], in: fixture.repo,
                                    environment: ["PPDS_HOME": fixture.home])
        #expect(result.stdout == "hidden=1 shown=1 exit=143", "\(result.stdout) \(result.stderr)")
    }
}
