import Foundation
import Testing
import TestSupport
import Support

/// A semi-trusted remote (a colleague's buggy ppds, a hand-pushed ref) must never make sync
/// change or lose this machine's work.
@Suite struct RegistryAttackTests {
    /// Pushes to the remote a child of `refs/ppds/sessions/<issue>` whose meta.json `state` is
    /// changed by `mutate` (as a hand-made commit would be), stamped at `lamport`.
    @discardableResult
    func forge(_ machines: RegistryMachines, _ issue: Int, ref: String? = nil, lamport: Int,
               _ mutate: (inout [String: Any]) -> Void) throws -> String {
        let bare = machines.bare
        func git(_ arguments: [String], stdin: String? = nil) throws -> String {
            try runProcess("/usr/bin/git", ["-C", bare] + arguments, stdin: stdin).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let parent = try git(["rev-parse", "refs/ppds/sessions/\(issue)"])
        let metaText = try git(["show", parent + ":meta.json"])
        var meta = try #require(try JSONSerialization.jsonObject(with: Data(metaText.utf8)) as? [String: Any])
        var state = try #require(meta["state"] as? [String: Any])
        mutate(&state)
        meta["state"] = state
        meta["lamport"] = lamport
        // An unsigned commit from a machine nobody trusts (one naming a machine that signs, in
        // that machine's own sync, is refused: RegistrySigningTests).
        meta["machine"] = ["id": "id-evil", "label": "evil"]
        let file = machines.seed.folder.file("forged-meta.json")
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: file))
        let blob = try git(["hash-object", "-w", file])
        let session = try git(["rev-parse", parent + ":session.json"])
        let tree = try git(["mktree"], stdin: "100644 blob \(blob)\tmeta.json\n100644 blob \(session)\tsession.json\n")
        let commit = try git(["commit-tree", tree, "-p", parent, "-m", "forged"])
        _ = try git(["update-ref", ref ?? "refs/ppds/sessions/\(issue)", commit])
        return commit
    }

    static func register(_ value: Any, _ lamport: Int) -> [String: Any] {
        ["stamp": [lamport, "id-evil"], "value": value]
    }

    /// A remote commit for #12 whose `issue` and `id` say #99: sync wrote the result to #99's
    /// file, so #99's session then named #12's branch and worktree, and #99's own worktree was
    /// no longer any session's (prune removes it as an orphan).
    @Test func aRemoteCommitCannotRenameTheIssueAndOverwriteAnotherSession() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "12", "99", "--offline"]).check()
        try machines.sync(a)
        let before99 = try #require(try machines.canonical(a, 99))
        let before12 = try #require(try machines.canonical(a, 12))
        try forge(machines, 12, lamport: 50) { state in
            var fields = state["fields"] as? [String: Any] ?? [:]
            fields["issue"] = Self.register("#99", 50)
            fields["id"] = Self.register("work-99", 50)
            state["fields"] = fields
        }
        _ = try machines.ppds(a, ["sync", "--json"])
        _ = try machines.ppds(a, ["sync", "--json"])
        #expect(try machines.canonical(a, 99) == before99)
        #expect(try machines.canonical(a, 12) == before12)
        // A mirror of #12 on another machine is not written under #99 either.
        let b = try machines.machine("b")
        _ = try machines.ppds(b, ["sync", "--json"])
        #expect(try machines.sessionJSON(b, 99)?["branch"] as? String != "feat/issue-12")
    }

    /// `refs/ppds/sessions/020` (or `+20`) was read as #20: two remote refs for one issue, one
    /// picked at random, and a hand-pushed alias then pushed by an honest machine's sync into
    /// the real `refs/ppds/sessions/20`.
    @Test func anAliasRefNamesNoSession() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "20", "--offline", "--title", "Real"]).check()
        try machines.sync(a)
        let real = try #require(try machines.remoteRefs()["refs/ppds/sessions/20"])
        for alias in ["020", "+20"] {
            try forge(machines, 20, ref: "refs/ppds/sessions/" + alias, lamport: 90) { state in
                var fields = state["fields"] as? [String: Any] ?? [:]
                fields["title"] = Self.register("EVIL", 90)
                state["fields"] = fields
            }
        }
        try machines.sync(b)
        try machines.sync(a)
        #expect(try machines.sessionJSON(b, 20)?["title"] as? String == "Real")
        #expect(try machines.sessionJSON(a, 20)?["title"] as? String == "Real")
        #expect(try machines.remoteRefs()["refs/ppds/sessions/20"] == real)
    }

    /// Two syncs of one repository at once on one machine (`wait --sync-interval` and a
    /// manual `ppds sync`): they raced on the same local refs, and one reported sessions as
    /// FAILED ("it moved meanwhile") or could not lock a tracking ref, exiting 1.
    @Test func concurrentSyncsOnOneMachineDoNotFail() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "1", "2", "3", "4", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        for round in 0..<10 {
            for issue in 1...4 { try machines.ppds(b, ["guide", String(issue), "r\(round)"]).check() }
            for issue in 1...4 { try machines.ppds(a, ["update", String(issue), "--status", round % 2 == 0 ? "working" : "planning"]).check() }
            try machines.sync(b)
            let group = DispatchGroup()
            let results = RegistrySyncTests.ResultBox()
            for index in 0..<4 {
                group.enter()
                DispatchQueue.global().async {
                    defer { group.leave() }
                    results.add("a\(index)", try? machines.ppds(a, ["sync", "--json"]))
                }
            }
            group.wait()
            for (name, result) in results.all { #expect(result?.status == 0, "round \(round) \(name): \(result?.stdout ?? "") \(result?.stderr ?? "")") }
        }
        for issue in 1...4 {
            #expect((try machines.sessionJSON(a, issue)?["guidance"] as? [Any])?.count == 10)
        }
    }

    /// `worktreeGone` is doctor's local finding that this machine's worktree folder is really
    /// gone; with it prune's guard against an unmounted disk skips the session. A remote commit
    /// set it on this machine's session (with a terminal status, which any machine may set).
    @Test func aRemoteCommitCannotMarkALocalWorktreeGone() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "12", "--offline"]).check()
        try machines.sync(a)
        try forge(machines, 12, lamport: 60) { state in
            var fields = state["fields"] as? [String: Any] ?? [:]
            fields["worktreeGone"] = Self.register("2026-01-01T00:00:00Z", 60)
            state["fields"] = fields
            state["terminal"] = Self.register("cancelled", 60)
        }
        _ = try machines.ppds(a, ["sync", "--json"])
        let session = try #require(try machines.sessionJSON(a, 12))
        #expect(session["worktreeGone"] == nil)
        // Prune still wants merge evidence for the (remotely) cancelled session's work.
        let worktree = try #require(session["worktree"] as? String)
        try "work\n".write(toFile: worktree + "/w.txt", atomically: true, encoding: .utf8)
        try runProcess("/usr/bin/git", ["-C", worktree, "add", "w.txt"]).check()
        try runProcess("/usr/bin/git", ["-C", worktree, "commit", "-qm", "work"]).check()
        _ = try machines.ppds(a, ["prune", "--min-age", "0", "--all", "--json"])
        #expect(FileManager.default.fileExists(atPath: worktree + "/w.txt"))
        #expect(try runProcess("/usr/bin/git", ["-C", a.repo, "rev-parse", "--verify", "-q", "refs/heads/" + (session["branch"] as? String ?? "")]).status == 0)
    }

    /// `delivered` merges as the earliest reading seen anywhere, but only the worker's machine
    /// reads guidance: a commit from elsewhere (a buggy ppds, a hand-made ref) that marked a
    /// message delivered made the worker never see it.
    @Test func anotherMachineCannotMarkGuidanceDelivered() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "5", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(b, ["guide", "5", "read me"]).check()
        try machines.sync(b)
        try forge(machines, 5, lamport: 40) { state in
            var guidance = state["guidance"] as? [String: Any] ?? [:]
            for (id, value) in guidance {
                var entry = value as? [String: Any] ?? [:]
                entry["delivered"] = "2026-01-01T00:00:00Z"
                guidance[id] = entry
            }
            state["guidance"] = guidance
        }
        try machines.sync(a)
        let guidance = try #require(try machines.sessionJSON(a, 5)?["guidance"] as? [[String: Any]])
        #expect(guidance.map { $0["message"] as? String } == ["read me"])
        #expect(guidance.first?["delivered"] == nil)
        // Stable: further syncs write no new commits.
        try machines.sync(a)
        let tip = try machines.remoteRefs()["refs/ppds/sessions/5"]
        try machines.sync(a)
        try machines.sync(b)
        try machines.sync(a)
        #expect(try machines.remoteRefs()["refs/ppds/sessions/5"] == tip)
        #expect((try machines.sessionJSON(a, 5)?["guidance"] as? [[String: Any]])?.first?["delivered"] == nil)
        // The worker on A gets it; then the mark is A's own.
        let update = try machines.ppds(a, ["update", "5", "--status", "working"]).check()
        #expect(update.stdout.contains("read me") || update.stderr.contains("read me"))
        try machines.sync(a)
        #expect((try machines.sessionJSON(a, 5)?["guidance"] as? [[String: Any]])?.first?["delivered"] != nil)
    }

    /// A state from a "later incarnation" (an epoch that sorts after the session's) wins whole,
    /// so a commit with a made-up epoch and no guidance dropped the messages from the worker's
    /// own file on the next sync, unread.
    @Test func aMadeUpEpochCannotDropTheWorkersGuidance() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "5", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(b, ["guide", "5", "keep me"]).check()
        try machines.sync(b)
        try machines.sync(a)
        #expect((try machines.sessionJSON(a, 5)?["guidance"] as? [Any])?.count == 1)
        // B guides again, not yet synced, when the made-up state arrives.
        try machines.ppds(b, ["guide", "5", "and me"]).check()
        try forge(machines, 5, lamport: 40) { state in
            state["epoch"] = "9999-12-31T00:00:00Z"
            state["guidance"] = [String: Any]()
        }
        // (The owner syncs first. Had B synced first, its unsynced "and me" would be dropped
        // from its mirror copy: not fixed here, see the report.)
        _ = try machines.ppds(a, ["sync", "--json"])
        _ = try machines.ppds(b, ["sync", "--json"])
        _ = try machines.ppds(b, ["sync", "--json"])
        _ = try machines.ppds(a, ["sync", "--json"])
        _ = try machines.ppds(a, ["sync", "--json"])
        let guidance = (try machines.sessionJSON(a, 5)?["guidance"] as? [[String: Any]]) ?? []
        #expect(guidance.map { $0["message"] as? String } == ["keep me", "and me"])
        let update = try machines.ppds(a, ["update", "5", "--status", "working"])
        #expect(update.stdout.contains("keep me") || update.stderr.contains("keep me"))
        #expect(update.stdout.contains("and me") || update.stderr.contains("and me"))
    }

    /// Only the worker's machine finishes its session (`ship`, `cancel` are refused on a
    /// mirror copy), yet a commit from elsewhere with a terminal status made the local session
    /// cancelled: the worker's updates were refused and `wait` told it the session was over.
    @Test func anotherMachineCannotFinishThisMachinesSession() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "8", "--offline"]).check()
        try machines.ppds(a, ["update", "8", "--status", "working"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(b, ["pause", "8"]).check()
        try machines.sync(b)
        try forge(machines, 8, lamport: 70) { state in
            state["terminal"] = Self.register("cancelled", 70)
        }
        _ = try machines.ppds(a, ["sync", "--json"])
        #expect(try machines.sessionJSON(a, 8)?["status"] as? String == "paused")
        // Recorded at once: the other machines see it open again without a change on A.
        try machines.sync(b)
        #expect(try machines.sessionJSON(b, 8)?["status"] as? String == "paused")
        try machines.ppds(a, ["resume", "8"]).check()
        try machines.ppds(a, ["update", "8", "--status", "planning"]).check()
        try machines.sync(a)
        try machines.sync(b)
        #expect(try machines.sessionJSON(b, 8)?["status"] as? String == "planning")
        #expect(try machines.canonical(a, 8) == machines.canonical(b, 8))
        // Its own cancel still ends it everywhere.
        try machines.ppds(a, ["cancel", "8"]).check()
        try machines.sync(a)
        try machines.sync(b)
        #expect(try machines.sessionJSON(b, 8)?["status"] as? String == "cancelled")
    }

    /// A registry commit's blobs were inflated whole before anything was checked: a hand-made
    /// 300 MB meta.json cost every sync 600 MB of memory (a few GB would exhaust it).
    @Test func aHugeBlobIsRefusedBeforeItIsRead() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "4", "--offline"]).check()
        try machines.sync(a)
        let bare = machines.bare
        let parent = try runProcess("/usr/bin/git", ["-C", bare, "rev-parse", "refs/ppds/sessions/4"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = machines.seed.folder.file("huge.json")
        FileManager.default.createFile(atPath: file, contents: Data("{\"pad\":\"".utf8) + Data(repeating: 0x41, count: 40 << 20) + Data("\"}".utf8))
        let blob = try runProcess("/usr/bin/git", ["-C", bare, "hash-object", "-w", file]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = try runProcess("/usr/bin/git", ["-C", bare, "mktree"], stdin: "100644 blob \(blob)\tmeta.json\n").check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try runProcess("/usr/bin/git", ["-C", bare, "commit-tree", tree, "-p", parent, "-m", "huge"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try runProcess("/usr/bin/git", ["-C", bare, "update-ref", "refs/ppds/sessions/4", commit]).check()
        let report = try machines.ppds(b, ["sync", "--json"])
        #expect(report.stdout.contains("at most 16777216"), "\(report.stdout)")
        let again = try machines.ppds(a, ["sync", "--json"])
        #expect(again.stdout.contains("at most 16777216"))
        #expect(try machines.sessionJSON(a, 4)?["status"] as? String == "registered")
    }

    /// The machine label (a host name, `PPDS_MACHINE_LABEL`) and id go into each commit's
    /// author line: a newline or `<>` there made a commit that libgit2 cannot read back, and
    /// the session's ref stayed on it, failing every later sync of that session.
    @Test(arguments: ["lap\ntop", "a<b>c", "<>"]) func aStrangeMachineLabelStillSyncs(label: String) throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a", claims: true), b = try machines.machine("b")
        let strange = ["PPDS_MACHINE_LABEL": label, "PPDS_MACHINE_ID": "id<a>"]
        try machines.ppds(a, ["start-work", "31", "--offline"], environment: strange).check()
        try machines.ppds(a, ["sync", "--json"], environment: strange).check()
        try machines.ppds(a, ["update", "31", "--status", "working"], environment: strange).check()
        try machines.ppds(a, ["sync", "--json"], environment: strange).check()
        try machines.sync(b)
        #expect(try machines.sessionJSON(b, 31) != nil)
    }
}
