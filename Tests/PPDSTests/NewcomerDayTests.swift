import Foundation
import Testing
import TestSupport

/// Issue #19: the bugs a new user hit in a day, each as the rule it broke.
@Suite struct NewcomerDayTests {
    let fixture: GitFixture

    init() throws {
        fixture = try GitFixture()
    }

    func standIn(_ name: String, _ body: String) throws -> String {
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\n\(body)\n".write(toFile: bin + "/" + name, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/" + name)
        return bin + ":/usr/bin:/bin"
    }

    // #4: output is flushed line by line, whatever stdout is.
    @Test func theWaitingLineReachesAPipeBeforeTheCommandEnds() throws {
        try fixture.started(3, title: "Three")
        let pipe = Pipe()
        let waiter = try fixture.launchPPDS(["update", "3", "--status", "stuck", "--reason", "which limit?", "--wait", "--timeout", "20s"],
                                            output: pipe)
        defer { if waiter.isRunning { kill(waiter.processIdentifier, SIGKILL) } }
        let chunk = readChunk(pipe.fileHandleForReading.fileDescriptor) ?? Data()
        #expect(waiter.isRunning, "the line came only at exit")
        #expect(String(decoding: chunk, as: UTF8.self).contains("waiting for guidance"))
        try fixture.ppds(["guide", "3", "use 1000"]).check()
        waiter.waitUntilExit()
        #expect(waiter.terminationStatus == 0)
    }

    // #5: the orchestrator's guidance does not make a silent worker look fresh.
    @Test func guidanceDoesNotBumpTheWorkersLastUpdate() throws {
        try fixture.started(5, title: "Five")
        let before = try #require((try fixture.ppds(["show", "5", "--json"]).json()["session"] as? [String: Any])?["lastUpdate"] as? String)
        sleep(1)
        try fixture.ppds(["guide", "5", "carry on"]).check()
        let after = try #require((try fixture.ppds(["show", "5", "--json"]).json()["session"] as? [String: Any])?["lastUpdate"] as? String)
        #expect(before == after)
        try fixture.ppds(["pause", "5"]).check()
        let paused = try #require((try fixture.ppds(["show", "5", "--json"]).json()["session"] as? [String: Any])?["lastUpdate"] as? String)
        #expect(paused != before, "a pause is a change to the session and still counts")
    }

    // #6: a mistyped option with a value is named as the mistyped option.
    @Test func aMistypedOptionWithAValueIsNamed() throws {
        let result = try fixture.ppds(["start-work", "9", "--titel", "Fix thing"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown option '--titel'"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean '--title'?"), "\(result.stderr)")
        #expect(!result.stderr.contains("not an issue number"))
        #expect(!fixture.sessionFileExists(9))
        // A command's own trailing argv is not checked: it may have options of its own.
        let exec = try fixture.ppds(["start-work", "10", "--offline", "--no-hooks", "--exec", "true", "--weird-flag"])
        #expect(exec.status == 0, "\(exec.stderr)")
    }

    // #7, #9: doctor names the issue once, and says what works next.
    @Test func doctorNamesTheIssueOnceAndAConflictSaysWhatToDo() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "201", "--offline", "--title", "From A"]).check()
        try machines.ppds(b, ["start-work", "201", "--offline", "--title", "From B"]).check()
        try machines.sync(a)
        let synced = try machines.ppds(b, ["sync"])
        #expect(synced.status == 1, "a conflict is something found")
        try machines.ppds(b, ["update", "201", "--status", "working"]).check()
        let doctor = try machines.ppds(b, ["doctor"])
        #expect(!doctor.stdout.contains("#201 #201"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("registryConflict #201"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("ppds cancel 201"), "\(doctor.stdout)")
    }

    // #8: a worktree removed with 'git worktree remove' has no git entry, and start-work brings it back.
    @Test func doctorSaysAWorktreeRemovedByGitHasNoEntryAndHowToRecreateIt() throws {
        let (worktree, _) = try fixture.started(8, title: "Eight")
        try fixture.git("worktree", "remove", worktree)
        let doctor = try fixture.ppds(["doctor"])
        #expect(doctor.stdout.contains("git has no entry"), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains("its git entry is kept"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("'ppds start-work 8' recreates it"), "\(doctor.stdout)")
        try fixture.ppds(["start-work", "8", "--offline"]).check()
        #expect(FileManager.default.fileExists(atPath: worktree + "/README.md"))
    }

    // #10: with several starts at once, only the one that wrote the exclude line says so.
    @Test func parallelAgentHooksReportTheExcludeLineOnce() throws {
        let result = try fixture.ppds(["start-work", "21", "22", "23", "--jobs", "3", "--offline", "--agent", "claude"]).check()
        let mentions = result.stdout.components(separatedBy: "info/exclude").count - 1
        #expect(mentions == 1, "\(result.stdout)")
        let exclude = try String(contentsOfFile: fixture.repo + "/.git/info/exclude", encoding: .utf8)
        #expect(exclude.components(separatedBy: "/.claude/settings.local.json").count - 1 == 1)
    }

    // #11: ship checks what it needs before it pushes anything.
    @Test func shipWithoutGhPushesNothing() throws {
        let origin = try fixture.addBareOrigin(fileURL: true)
        let (worktree, branch) = try fixture.started(11, title: "Eleven")
        try fixture.commit("eleven.txt", "11\n", in: worktree)
        let result = try fixture.ppds(["ship", "11", "--push", "--create-pr"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("needs the gh CLI"), "\(result.stderr)")
        let remote = try fixture.gitResult(["--git-dir", origin, "rev-parse", "-q", "--verify", "refs/heads/" + branch])
        #expect(remote.status != 0, "the branch was pushed before the refusal")
    }

    // #12: an issue gh says does not exist gets nothing, unless --force; gh unreachable goes on and says so.
    @Test func anIssueThatDoesNotExistGetsNoWorktree() throws {
        let path = try standIn("gh", "echo 'GraphQL: Could not resolve to an issue or pull request with the number of 999. (repository.issue)' >&2; exit 1")
        let refused = try fixture.ppds(["start-work", "999"], environment: ["PATH": path])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("no such issue"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        #expect(!fixture.sessionFileExists(999))
        #expect(try fixture.git("branch", "--list").contains("999") == false)
        #expect(try fixture.worktreePaths().count == 1)
        let json = try fixture.ppds(["start-work", "999", "--json"], environment: ["PATH": path])
        #expect(json.stdout.contains("\"reasonKind\":\"notFound\"") || json.stdout.contains("\"reasonKind\": \"notFound\""), "\(json.stdout)")

        let forced = try fixture.ppds(["start-work", "999", "--force"], environment: ["PATH": path])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(fixture.sessionFileExists(999))

        let offline = try standIn("gh", "echo 'error connecting to api.github.com' >&2; exit 1")
        let unchecked = try fixture.ppds(["start-work", "998"], environment: ["PATH": offline])
        #expect(unchecked.status == 0, "\(unchecked.stderr)")
        #expect((unchecked.stdout + unchecked.stderr).contains("without checking that it exists"))
    }

    // #2: outside any repository a verb acts only when exactly one session matches.
    @Test func outsideAnyRepositoryAnAmbiguousIssueIsRefusedWithTheCandidates() throws {
        let other = fixture.folder.file("other")
        try fixture.git("clone", "-q", fixture.repo, other)
        try fixture.started(7, title: "Here")
        try fixture.ppds(["start-work", "7", "--offline", "--title", "There"], in: other).check()
        try fixture.started(17, title: "Only here")
        let outside = fixture.folder.file("elsewhere")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        for verb in [["guide", "7", "hello"], ["pause", "7"], ["show", "7"]] {
            let result = try fixture.ppds(verb, in: outside)
            #expect(result.status == 2, "\(verb): \(result.stderr)")
            #expect(result.stderr.contains("2 sessions"), "\(verb): \(result.stderr)")
            #expect(result.stderr.contains(other) && result.stderr.contains(fixture.repo), "\(verb): \(result.stderr)")
        }
        let here = try fixture.ppds(["show", "7", "--json"]).json()
        #expect(((here["session"] as? [String: Any])?["guidance"] as? [Any])?.isEmpty ?? true)
        #expect(((here["session"] as? [String: Any])?["status"] as? String) == "registered")
        // One match: it acts, and --repo picks either.
        try fixture.ppds(["pause", "17"], in: outside).check()
        try fixture.ppds(["guide", "7", "for there", "--repo", other], in: outside).check()
        let there = try fixture.ppds(["show", "7", "--json"], in: other).json()
        #expect(((there["session"] as? [String: Any])?["guidance"] as? [Any])?.count == 1)
    }

    // #3: another machine's stuck session is answered without a message, and `next` finds it.
    @Test func anotherMachinesStuckSessionCanBeAnsweredInteractively() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "201", "--offline"]).check()
        try machines.ppds(a, ["update", "201", "--status", "stuck", "--reason", "window?", "--option", "sliding", "--option", "fixed"]).check()
        try machines.sync(a)
        try machines.sync(b)
        let guided = try runProcess(TestEnvironment.ppdsBinary, ["guide", "201"], in: b.repo, environment: b.environment, stdin: "2\n")
        #expect(guided.status == 0, "\(guided.stderr)")
        let next = try runProcess(TestEnvironment.ppdsBinary, ["next", "--all"], in: b.repo, environment: b.environment, stdin: "\n")
        #expect(!next.stdout.contains("No session is waiting"), "\(next.stdout)")
        try machines.sync(b)
        try machines.sync(a)
        let session = try #require(try machines.sessionJSON(a, 201))
        #expect((session["guidance"] as? [[String: Any]])?.compactMap { $0["message"] as? String }.first?.contains("fixed") == true)
    }

    // #1: recreating several worktrees at once never races, and libgit2's own text never reaches a user.
    @Test func recreatingSeveralWorktreesAtOnceDoesNotRace() throws {
        try fixture.ppds(["start-work", "303", "305", "306", "--offline", "--jobs", "3"]).check()
        for _ in 0..<6 {
            let paths = try fixture.worktreePaths()
            let w305 = try #require(paths.first { $0.hasSuffix("305") })
            let w306 = try #require(paths.first { $0.hasSuffix("306") })
            try FileManager.default.removeItem(atPath: w305)
            try fixture.git("worktree", "remove", "--force", w306)
            let result = try fixture.ppds(["start-work", "305", "306", "303", "--jobs", "3", "--offline"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(!result.stderr.contains("libgit2"))
        }
    }

    @Test func libgit2sWordsStayForVerbose() throws {
        let plain = try fixture.ppds(["start-work", "40", "--offline", "--base", "no-such-ref"])
        #expect(plain.status != 0)
        #expect(!plain.stderr.contains("revspec") && !plain.stderr.contains("libgit2"), "\(plain.stderr)")
        let git = try fixture.ppds(["start-work", "41", "--offline", "--branch", "no-such-branch"])
        #expect(!git.stderr.contains("libgit2"), "\(git.stderr)")
    }

    // Interrupted work is visible: status shows it, not only doctor.
    @Test func statusShowsAnInterruptedStart() throws {
        _ = try fixture.ppds(["start-work", "--offline", "61"], environment: ["PPDS_FAULT": "afterWorktree:kill"])
        let status = try fixture.ppds(["status"])
        #expect(status.stdout.contains("interruptedOperation"), "\(status.stdout)")
        #expect(status.stdout.contains("ppds doctor --fix"))
        let json = try fixture.ppds(["status", "--json"]).json()
        #expect((json["problems"] as? [[String: Any]] ?? []).contains { $0["kind"] as? String == "interruptedOperation" })
        try fixture.ppds(["start-work", "--offline", "61"]).check()
        #expect(!(try fixture.ppds(["status"]).stdout.contains("interruptedOperation")))
    }

    // Ctrl-C during a bulk start says what was left and how it will be finished.
    @Test func ctrlCDuringABulkStartSaysHowToFinish() throws {
        let err = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["start-work", "71", "72", "--offline", "--jobs", "1", "--exec", "sleep", "5"]
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": fixture.home]) { $1 }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var waited = 0
        while !fixture.sessionFileExists(71) && waited < 200 { usleep(50_000); waited += 1 }
        usleep(300_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("interrupted") && text.contains("ppds start-work 71 72 --offline --jobs 1 --exec sleep 5"), "\(text)")
        try fixture.ppds(["start-work", "71", "72", "--offline"]).check()
        #expect(fixture.sessionFileExists(71) && fixture.sessionFileExists(72))
    }

    // #9: a conflict on a machine that configured the registry after starting says what is true.
    @Test func aRegistryConflictSaysWhatIsTrue() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a", claims: true), b = try machines.machine("b")
        try machines.ppds(b, ["start-work", "201", "--offline"]).check()
        try "[registry]\nremote = \"origin\"\n".write(toFile: b.home + "/config.toml", atomically: true, encoding: .utf8)
        try machines.ppds(a, ["start-work", "201", "--offline", "--force"]).check()
        try machines.sync(a)
        let synced = try machines.ppds(b, ["sync"])
        #expect(synced.status == 1, "\(synced.stdout)\(synced.stderr)")
        #expect(!synced.stderr.contains("Set registry.remote") && !synced.stderr.contains("Configure registry.remote"), "\(synced.stderr)")
        #expect(synced.stderr.contains("ppds cancel 201"), "\(synced.stderr)")
        let everywhere = try machines.ppds(b, ["status", "--everywhere"])
        #expect(!everywhere.stdout.contains("none synced (run 'ppds sync')"), "\(everywhere.stdout)")
    }

    // The second day's findings.
    @Test func aUsageErrorWithJSONIsAJSONDocument() throws {
        let result = try fixture.ppds(["status", "--json", "--stale-after", "abc"])
        #expect(result.status == 64)
        let error = try #require(try result.json()["error"] as? [String: Any])
        #expect(error["kind"] as? String == "usage")
    }

    @Test func aSingleRefusedStartExitsTwoAndNamesTheIssueOnce() throws {
        let result = try fixture.ppds(["start-work", "242", "--offline", "--branch", "nosuch"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!result.stderr.contains("#242: #242") && !result.stderr.contains("failed: #242:"), "\(result.stderr)")
    }

    @Test func concurrentGuidanceIsStampedInTheOrderItIsWritten() throws {
        try fixture.started(230, title: "Busy")
        let processes = try (0..<12).map { index in try fixture.launchPPDS(["guide", "230", "message \(index)"]) }
        for process in processes { process.waitUntilExit() }
        let session = try #require(try fixture.ppds(["show", "230", "--json"]).json()["session"] as? [String: Any])
        let stamps = (session["guidance"] as? [[String: Any]] ?? []).compactMap { $0["at"] as? String }
        #expect(stamps.count == 12)
        #expect(stamps == stamps.sorted(), "\(stamps)")
    }

    @Test func aPushBeforeAFailedPRIsSaid() throws {
        _ = try fixture.addBareOrigin(fileURL: true)
        let (worktree, branch) = try fixture.started(232, title: "Pushed")
        try fixture.commit("p.txt", "p\n", in: worktree)
        let path = try standIn("gh", "echo 'HTTP 502' >&2; exit 1")
        let result = try fixture.ppds(["ship", "232", "--push", "--create-pr"], environment: ["PATH": path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(branch) was pushed"), "\(result.stderr)")
    }

    @Test func outsideARepositoryTheErrorSaysWhereToGo() throws {
        let outside = fixture.folder.file("nowhere")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let result = try fixture.ppds(["status"], in: outside)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--repo") && result.stderr.contains("--all-repos"), "\(result.stderr)")
    }

    @Test func aSessionWithoutCommitsIsNotCalledMerged() throws {
        try fixture.started(233, title: "Empty")
        let show = try fixture.ppds(["show", "233"]).check()
        #expect(!show.stdout.contains("merged:"), "\(show.stdout)")
        #expect(show.stdout.contains("none of its own"))
    }

    // Prune's next steps: never the flag just used, never "never fetched" after a clone, and
    // the way past --min-age.
    @Test func pruneAdviceLeadsSomewhere() throws {
        let origin = try fixture.addBareOrigin(fileURL: true)
        let (worktree, _) = try fixture.started(250, title: "Unmerged")
        try fixture.commit("u.txt", "u\n", in: worktree)
        try fixture.ppds(["ship", "250", "--pr", "https://example.com/o/r/pull/250", "--force"]).check()
        let fetched = try fixture.ppds(["prune", "--fetch", "--dry-run", "--min-age", "0s"])
        #expect(fetched.stdout.contains("not merged"), "\(fetched.stdout)")
        #expect(!fetched.stdout.contains("'ppds prune --fetch'"), "\(fetched.stdout)")
        #expect(fetched.stdout.contains("--base REF"))

        let clone = fixture.folder.file("fresh")
        try fixture.git("clone", "-q", "file://" + origin, clone)
        try fixture.ppds(["start-work", "252", "--offline", "--title", "In the clone"], in: clone).check()
        let worktrees = try fixture.git("worktree", "list", "--porcelain", in: clone)
        let path = try #require(worktrees.split(separator: "\n").compactMap { $0.hasPrefix("worktree ") ? String($0.dropFirst(9)) : nil }.last)
        try fixture.commit("c.txt", "c\n", in: path)
        try fixture.ppds(["ship", "252", "--pr", "https://example.com/o/r/pull/252", "--force"], in: clone).check()
        let fresh = try fixture.ppds(["prune", "--dry-run", "--min-age", "0s"], in: clone)
        #expect(!fresh.stdout.contains("never been fetched"), "\(fresh.stdout)")

        try fixture.ppds(["start-work", "253", "--offline", "--title", "Empty"]).check()
        try fixture.ppds(["cancel", "253"]).check()
        let young = try fixture.ppds(["prune", "253", "--dry-run"])
        #expect(young.stdout.contains("--min-age 0s"), "\(young.stdout)")
        try fixture.ppds(["start-work", "254", "--offline", "--title", "Dropped"]).check()
        let cancelled = try fixture.ppds(["cancel", "254", "--remove"])
        #expect(cancelled.stdout.contains("#254 cancelled"), "\(cancelled.stdout)\(cancelled.stderr)")
    }
}
