import Foundation
import Testing
import TestSupport
import Support

/// `ppds sync` between several machines over real remotes (file:// and git daemon).
@Suite struct RegistrySyncTests {
    /// Stuck on A, guidance from B, a pause from C while A's worker moves on: every machine ends
    /// with the same session, with the guidance once, paused, and the worker's status kept.
    func threeMachinesConverge(_ machines: RegistryMachines) throws {
        let a = try machines.machine("laptop"), b = try machines.machine("vm"), c = try machines.machine("ci")
        try machines.ppds(a, ["start-work", "456", "--offline", "--title", "Token refresh"]).check()
        try machines.ppds(a, ["update", "456", "--status", "stuck", "--reason", "sliding or fixed?", "--option", "sliding", "--option", "fixed"]).check()
        try machines.sync(a)
        let seenByB = try machines.sync(b)
        #expect((seenByB["sessions"] as? [[String: Any]])?.first?["outcome"] as? String == "mirrored")
        try machines.sync(c)

        // Concurrently: B guides, C pauses, A's worker reports progress.
        try machines.ppds(b, ["guide", "456", "use sliding"]).check()
        try machines.ppds(c, ["pause", "456"]).check()
        try machines.ppds(a, ["update", "456", "--status", "working"]).check()
        try machines.sync(b)
        try machines.sync(c)
        try machines.sync(a)
        for machine in [b, c, a] { try machines.sync(machine) }

        let reference = try #require(try machines.canonical(a, 456))
        #expect(try machines.canonical(b, 456) == reference)
        #expect(try machines.canonical(c, 456) == reference)
        let session = try #require(try machines.sessionJSON(a, 456))
        #expect(session["status"] as? String == "paused")
        #expect(session["pausedFrom"] as? String == "working")
        let guidance = session["guidance"] as? [[String: Any]] ?? []
        #expect(guidance.map { $0["message"] as? String } == ["use sliding"])
        #expect((session["machine"] as? [String: Any])?["label"] as? String == "laptop")
        // The worker on A sees the pause.
        let refused = try machines.ppds(a, ["update", "456", "--status", "planning"])
        #expect(refused.status == 2)
        // Other machines' sessions never become local sessions there.
        #expect(!FileManager.default.fileExists(atPath: b.home + "/sessions/work-456.json"))
        let pruned = try machines.ppds(b, ["prune", "--json", "--all"]).check().json()
        #expect((pruned["results"] as? [Any])?.isEmpty == true)
        #expect(try machines.sessionJSON(b, 456) != nil)
        // Registry refs left branches, HEAD and the worktree alone.
        #expect(try runProcess("/usr/bin/git", ["-C", b.repo, "status", "--porcelain"]).check().stdout.isEmpty)
        #expect(try runProcess("/usr/bin/git", ["-C", b.repo, "branch", "--format=%(refname:short)"]).check().stdout
            .split(separator: "\n") == ["main"])
    }

    @Test func threeMachinesConvergeOverFile() throws {
        try threeMachinesConverge(try RegistryMachines())
    }

    @Test(.enabled(if: RegistryMachines.hasDaemon)) func threeMachinesConvergeOverGitDaemon() throws {
        try threeMachinesConverge(try RegistryMachines(transport: .daemon(receivePack: true)))
    }

    @Test func aNoChangeSyncFetchesNothingAndPushesNothing() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "1", "2", "--offline"]).check()
        let first = try machines.sync(a)
        #expect(first["pushedRefs"] as? Int == 2)
        let before = try machines.remoteRefs()
        let again = try machines.sync(a)
        #expect(again["pushedRefs"] as? Int == 0)
        #expect(again["fetchedObjects"] as? Int == 0)
        #expect(again["rounds"] as? Int == 1)
        #expect(try machines.remoteRefs() == before)
        #expect((again["sessions"] as? [[String: Any]])?.allSatisfy { $0["outcome"] as? String == "unchanged" } == true)
    }

    @Test func theSameIssueOnTwoMachinesWithoutClaimsIsAConflictThatKeepsBoth() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "77", "--offline", "--title", "From A"]).check()
        try machines.ppds(b, ["start-work", "77", "--offline", "--title", "From B"]).check()
        try machines.sync(a)
        // A conflict is found, not done: exit 1, and the advice fits (no claims configured here).
        let synced = try machines.ppds(b, ["sync", "--json"])
        #expect(synced.status == 1)
        let report = try synced.json()
        let result = try #require((report["sessions"] as? [[String: Any]])?.first)
        let text = try machines.ppds(b, ["sync"])
        #expect(text.stderr.contains("Set registry.remote"), "\(text.stderr)")
        #expect(result["outcome"] as? String == "conflict")
        #expect(try machines.sessionJSON(b, 77)?["title"] as? String == "From B")
        #expect(try machines.sessionJSON(a, 77)?["title"] as? String == "From A")
        let doctor = try machines.ppds(b, ["doctor", "--json"])
        #expect(doctor.stdout.contains("registryConflict"))
    }

    @Test func guidanceFromAnotherMachineReachesTheWorker() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "5", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(b, ["guide", "5", "first"]).check()
        try machines.ppds(b, ["guide", "5", "second"]).check()
        // Verbs that need the worktree are refused on another machine's session.
        #expect(try machines.ppds(b, ["update", "5", "--status", "working"]).status == 2)
        try machines.sync(b)
        try machines.sync(a)
        let session = try #require(try machines.sessionJSON(a, 5))
        #expect((session["guidance"] as? [[String: Any]])?.compactMap { $0["message"] as? String } == ["first", "second"])
        // Read on A, the mark travels back to B.
        try machines.ppds(a, ["show", "5"], environment: [:]).check()
    }

    @Test func claimsBetweenMachines() throws {
        try claimsBetweenMachines(try RegistryMachines())
    }

    @Test(.enabled(if: RegistryMachines.hasDaemon)) func claimsBetweenMachinesOverGitDaemon() throws {
        try claimsBetweenMachines(try RegistryMachines(transport: .daemon(receivePack: true)))
    }

    func claimsBetweenMachines(_ machines: RegistryMachines) throws {
        let a = try machines.machine("a", claims: true), b = try machines.machine("b", claims: true)
        try machines.ppds(a, ["start-work", "456", "--offline"]).check()
        let refused = try machines.ppds(b, ["start-work", "456", "--offline"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("#456 is claimed by a (id-a) since"))
        #expect(!FileManager.default.fileExists(atPath: b.home + "/sessions/work-456.json"))
        #expect(try runProcess("/usr/bin/git", ["-C", b.repo, "worktree", "list"]).check().stdout.split(separator: "\n").count == 1)
        // Own claim: running it again is fine.
        try machines.ppds(a, ["start-work", "456", "--offline"]).check()
        // Cancel releases it; then B may start.
        try machines.ppds(a, ["cancel", "456"]).check()
        #expect(try machines.remoteRefs()["refs/ppds/claims/456"] == nil)
        try machines.ppds(b, ["start-work", "456", "--offline"]).check()
        #expect(try machines.remoteRefs()["refs/ppds/claims/456"] != nil)
    }

    @Test func twentyMachinesRaceForFiftyIssues() throws {
        let machines = try RegistryMachines()
        let fleet = try (0..<20).map { try machines.machine("m\($0)", claims: true) }
        let issues = (1...50).map(String.init)
        let results = ResultBox()
        let group = DispatchGroup()
        for machine in fleet {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                let result = try? machines.ppds(machine, ["start-work", "--offline", "--json", "--no-hooks", "--jobs", "2"] + issues.shuffled())
                results.add(machine.name, result)
            }
        }
        group.wait()
        var winners: [String: [String]] = [:]
        for (name, result) in results.all {
            let items = (try? result?.json())?["results"] as? [[String: Any]] ?? []
            #expect(items.count == 50, "\(name): \(result?.stderr ?? "no result")")
            for item in items where item["outcome"] as? String == "started" {
                winners[item["issue"] as? String ?? "?", default: []].append(name)
            }
            #expect(items.allSatisfy { ["started", "claimedElsewhere"].contains($0["outcome"] as? String ?? "") }, "\(name): \(items.filter { $0["outcome"] as? String == "failed" })")
        }
        #expect(winners.count == 50)
        #expect(winners.values.allSatisfy { $0.count == 1 })
        let claims = try machines.remoteRefs().keys.filter { $0.hasPrefix("refs/ppds/claims/") }
        #expect(claims.count == 50)
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var all: [(String, ProcessResult?)] = []
        func add(_ name: String, _ result: ProcessResult?) { lock.lock(); all.append((name, result)); lock.unlock() }
    }

    @Test(arguments: ["syncAfterFetch", "syncAfterCommit", "syncAfterFile", "syncBeforePush", "syncAfterPush"])
    func aSyncKilledAnywhereConvergesOnTheNextRun(checkpoint: String) throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "1", "2", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(a, ["update", "1", "--status", "stuck", "--reason", "help"]).check()
        try machines.ppds(b, ["guide", "1", "do this"]).check()
        try machines.ppds(b, ["pause", "2"]).check()
        try machines.sync(b)
        let killed = try machines.ppds(a, ["sync"], environment: ["PPDS_FAULT": checkpoint + ":kill"])
        #expect(killed.status == 9)
        // Every file is still valid: status reads them all.
        try machines.ppds(a, ["status", "--json"]).check()
        for machine in [a, b, a, b] { try machines.sync(machine) }
        for issue in [1, 2] {
            #expect(try machines.canonical(a, issue) == machines.canonical(b, issue))
        }
        let one = try #require(try machines.sessionJSON(a, 1))
        #expect(one["status"] as? String == "stuck")
        #expect((one["guidance"] as? [[String: Any]])?.count == 1)
        #expect(try machines.sessionJSON(a, 2)?["status"] as? String == "paused")
    }

    @Test func anUnreachableRemoteIsAClearErrorAndLocalWorkGoesOn() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "3", "--offline"]).check()
        try runProcess("/usr/bin/git", ["-C", a.repo, "remote", "set-url", "origin", "git://127.0.0.1:1/nowhere.git"]).check()
        let before = try machines.canonical(a, 3)
        let failed = try machines.ppds(a, ["sync"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("cannot fetch the registry from 'origin'"))
        #expect(try machines.canonical(a, 3) == before)
        try machines.ppds(a, ["update", "3", "--status", "working"]).check()
        let json = try machines.ppds(a, ["sync", "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"kind\""))
        #expect(try machines.ppds(a, ["sync", "--remote", "nosuch"]).status == 2)
    }

    @Test(.enabled(if: RegistryMachines.hasDaemon)) func aReadOnlyRemoteIsAClearError() throws {
        let machines = try RegistryMachines(transport: .daemon(receivePack: false))
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "4", "--offline"]).check()
        let failed = try machines.ppds(a, ["sync"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("cannot push the registry to 'origin'"))
        #expect(failed.stderr.contains("read-only"))
        // Still a valid local session.
        try machines.ppds(a, ["update", "4", "--status", "working"]).check()
    }

    @Test(.enabled(if: RegistryMachines.hasDaemon)) func aRemoteWhoseHookRejectsIsAClearError() throws {
        let machines = try RegistryMachines(transport: .daemon(receivePack: true))
        let hook = machines.bare + "/hooks/pre-receive"
        try "#!/bin/sh\necho 'registry is frozen' >&2\nexit 1\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let a = try machines.machine("a")
        try machines.ppds(a, ["start-work", "4", "--offline"]).check()
        let failed = try machines.ppds(a, ["sync"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("refused"))
        #expect(try machines.remoteRefs().isEmpty)
    }

    @Test func statusEverywhereShowsOtherMachinesWithTheirLabel() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("laptop"), b = try machines.machine("vm")
        try machines.ppds(b, ["start-work", "8", "--offline"]).check()
        try machines.ppds(b, ["update", "8", "--status", "stuck", "--reason", "which db?", "--option", "pg"]).check()
        try machines.sync(b)
        try machines.sync(a)
        let text = try machines.ppds(a, ["status", "--everywhere"]).check().stdout
        #expect(text.contains("#8 [vm] stuck"))
        #expect(text.contains("Options: pg"))
        let json = try machines.ppds(a, ["status", "--everywhere", "--json"]).check().json()
        let elsewhere = try #require(json["elsewhere"] as? [[String: Any]])
        #expect(elsewhere.first?["status"] as? String == "stuck")
        // No local problem is made up for a worktree on another machine.
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        let show = try machines.ppds(a, ["show", "8"]).check().stdout
        #expect(show.contains("Runs on vm (id-vm)"))
    }

    @Test func waitWithASyncIntervalReceivesGuidanceFromAnotherMachine() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("worker"), b = try machines.machine("boss")
        try machines.ppds(a, ["start-work", "9", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        let waiting = Process()
        waiting.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        waiting.arguments = ["wait", "9", "--sync-interval", "1s", "--timeout", "30s", "--json"]
        waiting.currentDirectoryURL = URL(fileURLWithPath: a.repo)
        waiting.environment = ProcessInfo.processInfo.environment.merging(a.environment) { $1 }
        let output = Pipe()
        waiting.standardOutput = output
        waiting.standardError = FileHandle.nullDevice
        try waiting.run()
        try machines.ppds(b, ["guide", "9", "ship it"]).check()
        try machines.sync(b)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self).contains("ship it"))
    }

    @Test func theTwoMachineDemoRuns() throws {
        let result = try runProcess(TestEnvironment.ppdsBinary, ["demo", "--machines", "2"])
        try result.check()
        #expect(result.stdout.contains("is claimed by cloud-vm"))
        #expect(result.stdout.contains("guidance for #103: \"sliding, 30 minutes\""))
    }

    @Test func doctorChecksTheRegistry() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a", claims: true)
        try machines.ppds(a, ["start-work", "11", "12", "--offline"]).check()
        try machines.sync(a)
        #expect(try machines.ppds(a, ["doctor", "--json"]).stdout.contains("registry") == false)
        try machines.ppds(a, ["update", "11", "--status", "working"]).check()
        try FileManager.default.removeItem(atPath: a.home + "/sessions/work-12.json")
        let doctor = try machines.ppds(a, ["doctor", "--json"])
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("registryNotPushed"))
        #expect(doctor.stdout.contains("claimWithoutSession"))
        try machines.sync(a)
        #expect(try machines.ppds(a, ["doctor", "--json"]).stdout.contains("registryNotPushed") == false)
    }

    @Test func anotherMachineCannotMoveThisMachinesWork() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "21", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        // B rewrites its copy's location keys by hand; A keeps its own.
        let registry = b.home + "/registry"
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: registry).first)
        let copy = registry + "/" + folder + "/sessions/work-21.json"
        let text = try String(contentsOfFile: copy, encoding: .utf8)
        let worktree = try #require(try machines.sessionJSON(a, 21)?["worktree"] as? String)
        try text.replacingOccurrences(of: worktree, with: "/tmp/elsewhere").write(toFile: copy, atomically: true, encoding: .utf8)
        try machines.sync(b)
        try machines.sync(a)
        #expect(try machines.sessionJSON(a, 21)?["worktree"] as? String == worktree)
        try machines.sync(a)
        try machines.sync(b)
        #expect(try machines.canonical(a, 21) == machines.canonical(b, 21))
    }

    /// Six machines guide one session and sync at the same moment: pushes race, the losers'
    /// are rejected (compare-and-swap) and retried; nothing is lost.
    @Test(.enabled(if: RegistryMachines.hasDaemon), arguments: [false, true]) func concurrentSyncsLoseNothing(daemon: Bool) throws {
        let machines = try RegistryMachines(transport: daemon ? .daemon(receivePack: true) : .file)
        let owner = try machines.machine("owner")
        let fleet = try (0..<6).map { try machines.machine("g\($0)") }
        try machines.ppds(owner, ["start-work", "30", "--offline"]).check()
        try machines.sync(owner)
        for machine in fleet {
            try machines.sync(machine)
            try machines.ppds(machine, ["guide", "30", "from \(machine.name)"]).check()
        }
        let group = DispatchGroup()
        let results = ResultBox()
        for machine in fleet {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                results.add(machine.name, try? machines.ppds(machine, ["sync", "--json"]))
            }
        }
        group.wait()
        for (name, result) in results.all { #expect(result?.status == 0, "\(name): \(result?.stderr ?? "")") }
        for machine in [owner] + fleet { try machines.sync(machine) }
        for machine in [owner] + fleet { try machines.sync(machine) }
        let messages = (try machines.sessionJSON(owner, 30)?["guidance"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(Set(messages) == Set(fleet.map { "from \($0.name)" }))
        #expect(messages.count == fleet.count)
        for machine in fleet { #expect(try machines.canonical(machine, 30) == machines.canonical(owner, 30)) }
    }

    @Test func pruneReleasesTheClaim() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a", claims: true)
        try machines.ppds(a, ["start-work", "40", "--offline"]).check()
        #expect(try machines.remoteRefs()["refs/ppds/claims/40"] != nil)
        try machines.ppds(a, ["ship", "40", "--pr", "https://example.com/o/r/pull/40", "--force"]).check()
        let pruned = try machines.ppds(a, ["prune", "--min-age", "0", "--json"])
        #expect(pruned.stdout.contains("\"removed\""), "\(pruned.stdout)\(pruned.stderr)")
        #expect(try machines.remoteRefs()["refs/ppds/claims/40"] == nil)
    }

    /// Issue 20: releasing the claim is part of the prune operation, so `doctor --fix` finishing
    /// a killed prune releases it too (it used to be left behind).
    @Test func doctorFinishingAnInterruptedPruneReleasesTheClaim() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a", claims: true)
        try machines.ppds(a, ["start-work", "41", "--offline"]).check()
        #expect(try machines.remoteRefs()["refs/ppds/claims/41"] != nil)
        try machines.ppds(a, ["ship", "41", "--pr", "https://example.com/o/r/pull/41", "--force"]).check()
        let killed = try machines.ppds(a, ["prune", "--min-age", "0"], environment: ["PPDS_FAULT": "pruneAfterWorktree:kill"])
        #expect(killed.status == 9, "\(killed.stderr)")
        #expect(try machines.remoteRefs()["refs/ppds/claims/41"] != nil)
        let fixed = try machines.ppds(a, ["doctor", "--fix"])
        #expect(fixed.stdout.contains("prune finished: removed"), "\(fixed.stdout)\(fixed.stderr)")
        #expect(try machines.remoteRefs()["refs/ppds/claims/41"] == nil, "\(fixed.stdout)\(fixed.stderr)")
    }

    /// A finished session pruned by its machine disappears from the others' views; the issue
    /// started again is a new session there, not the old finished one.
    @Test func aPrunedSessionEndsEverywhereAndAStartAgainIsNew() throws {
        let machines = try RegistryMachines()
        let a = try machines.machine("a"), b = try machines.machine("b")
        try machines.ppds(a, ["start-work", "50", "--offline"]).check()
        try machines.sync(a)
        try machines.sync(b)
        try machines.ppds(b, ["guide", "50", "old advice"]).check()
        try machines.sync(b)
        try machines.sync(a)
        try machines.ppds(a, ["ship", "50", "--pr", "https://example.com/o/r/pull/50", "--force"]).check()
        try machines.sync(a)
        try machines.sync(b)
        #expect(try machines.sessionJSON(b, 50)?["status"] as? String == "complete")
        let pruned = try machines.ppds(a, ["prune", "--min-age", "0", "--json"])
        #expect(pruned.stdout.contains("\"removed\""), "\(pruned.stdout)\(pruned.stderr)")
        let ended = try machines.sync(a)
        #expect((ended["sessions"] as? [[String: Any]])?.first?["outcome"] as? String == "ended")
        let dropped = try machines.sync(b)
        #expect((dropped["sessions"] as? [[String: Any]])?.first?["outcome"] as? String == "ended")
        #expect(try machines.sessionJSON(b, 50) == nil)
        #expect(!(try machines.ppds(b, ["status", "--everywhere"]).check().stdout.contains("#50")))
        // Started again: a new session everywhere, without the old status or guidance.
        try machines.ppds(a, ["start-work", "50", "--offline"]).check()
        try machines.ppds(a, ["update", "50", "--status", "working"]).check()
        try machines.sync(a)
        #expect(try machines.sessionJSON(a, 50)?["status"] as? String == "working")
        try machines.sync(b)
        let again = try #require(try machines.sessionJSON(b, 50))
        #expect(again["status"] as? String == "working")
        #expect(again["guidance"] == nil)
        #expect(again["prunedAt"] == nil)
        #expect(try machines.canonical(a, 50) == machines.canonical(b, 50))
    }

    /// The property test's smaller twin over a real remote: random commands on three machines,
    /// synced in random orders, end with one state everywhere and every guidance message once.
    @Test(arguments: [7, 42, 3]) func randomCommandsOnThreeMachinesConverge(seed: Int) throws {
        var random = SeededRandom(seed: UInt64(seed))
        let machines = try RegistryMachines()
        let fleet = try ["a", "b", "c"].map { try machines.machine($0) }
        try machines.ppds(fleet[0], ["start-work", "1", "--offline"]).check()
        try machines.ppds(fleet[1], ["start-work", "2", "--offline"]).check()
        for machine in fleet { try machines.sync(machine) }
        for machine in fleet { try machines.sync(machine) }
        var sent: [Int: Set<String>] = [1: [], 2: []]
        for step in 0..<24 {
            let index = Int(random.next() % 3)
            let machine = fleet[index]
            let issue = Int(random.next() % 2) + 1
            switch random.next() % 6 {
            case 0:
                if try machines.ppds(machine, ["guide", String(issue), "g\(step)"]).status == 0 { sent[issue]!.insert("g\(step)") }
            case 1: try machines.ppds(machine, ["pause", String(issue)])
            case 2: try machines.ppds(machine, ["resume", String(issue)])
            case 3:
                // Only the owner's worker updates (a: #1, b: #2); elsewhere it is refused.
                let status = ["working", "planning", "planning_complete"][Int(random.next() % 3)]
                try machines.ppds(machine, ["update", String(issue), "--status", status])
            default:
                try machines.sync(machine)
            }
        }
        for _ in 0..<2 { for index in [2, 0, 1] { try machines.sync(fleet[index]) } }
        for issue in [1, 2] {
            let reference = try machines.canonical(fleet[0], issue)
            for machine in fleet.dropFirst() { #expect(try machines.canonical(machine, issue) == reference, "#\(issue) seed \(seed)") }
            let messages = (try machines.sessionJSON(fleet[0], issue)?["guidance"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            #expect(Set(messages) == sent[issue]!)
            #expect(messages.count == sent[issue]!.count)
        }
    }
}

