import Foundation
import Testing
import TestSupport
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View

@Suite struct StatusViewTests {
    /// One session in every group, checked in JSON and text.
    @Test func everyGroupInJSONAndText() throws {
        let fixture = try GitFixture()
        let titles = [1: "Registered", 2: "Planning", 3: "Plan ready", 4: "Working", 5: "Stuck", 6: "Paused",
                      7: "Shipped", 8: "Cancelled", 9: "Other tool"]
        for (issue, title) in titles.sorted(by: { $0.key < $1.key }) { try fixture.started(issue, title: title) }
        try fixture.ppds(["update", "2", "--status", "planning"]).check()
        try fixture.ppds(["update", "3", "--status", "planning_complete"]).check()
        try fixture.ppds(["update", "4", "--status", "working"]).check()
        try fixture.ppds(["update", "5", "--status", "stuck", "--reason", "Auth/Security decision needed",
                          "--context", "sliding or fixed?", "--option", "sliding", "--option", "fixed"]).check()
        try fixture.ppds(["pause", "6"]).check()
        try fixture.ppds(["ship", "7", "--pr", "https://github.com/o/r/pull/42", "--force"]).check()
        try fixture.ppds(["cancel", "8"]).check()
        let file = fixture.home + "/sessions/work-9.json"
        try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"registered\"", with: "\"reviews_in_progress\"")
            .write(toFile: file, atomically: true, encoding: .utf8)

        let json = try fixture.ppds(["status", "--json"]).check().json()
        #expect(json["version"] as? Int == 1)
        let sessions = try #require(json["sessions"] as? [[String: Any]])
        let statuses = Dictionary(uniqueKeysWithValues: sessions.map { ($0["issue"] as! String, $0["status"] as! String) })
        #expect(statuses == ["#1": "registered", "#2": "planning", "#3": "planning_complete", "#4": "working", "#5": "stuck",
                             "#6": "paused", "#7": "complete", "#8": "cancelled", "#9": "reviews_in_progress"])
        for session in sessions {
            let git = try #require(session["git"] as? [String: Any])
            for key in ["worktreeExists", "branchExists", "head", "ahead", "behind", "merged"] {
                #expect(git.keys.contains(key), "\(key)")
            }
            #expect(git["worktreeExists"] as? Bool == true)
            #expect(session["title"] as? String == titles[Int((session["issue"] as! String).dropFirst())!])
        }
        // #7 and #8 have no commits of their own: ready to prune, but not called merged.
        #expect((json["problems"] as? [[String: Any]] ?? []).map { $0["kind"] as? String } == ["mergedReadyToPrune", "mergedReadyToPrune"])

        let text = try fixture.ppds(["status"]).check().stdout
        for heading in ["🟢 Working: 1 session", "🟡 Stuck: 1 session", "📋 Plan ready for review: 1 session",
                        "✅ PR Ready: 1 session", "🔵 Planning: 1 session", "🔹 Starting: 1 session", "⏸️  Paused: 1 session",
                        "⚪ Cancelled: 1 session", "❔ Other status: 1 session", "🧹 Ready to prune: 2"] {
            #expect(text.contains(heading), "\(heading)\n\(text)")
        }
        #expect(text.contains(" https://github.com/o/r/pull/42 · ") && text.contains("   - #7 "), "\(text)")
        // Stuck comes first: it needs a human.
        #expect(text.hasPrefix("🟡 Stuck: 1 session"))
        #expect(text.contains("no commits of its own"))
        #expect(text.contains("     Context: sliding or fixed?"))
        #expect(text.contains("     Options: sliding, fixed"))
        #expect(text.contains(" feat/other-tool [reviews_in_progress]") && text.contains("   - #9 "))
        #expect(!text.contains("\u{1B}["))  // no colour without a terminal
    }

    @Test func problemsComeFromGit() throws {
        let fixture = try GitFixture()
        let (gone, _) = try fixture.started(1, title: "Gone")
        let (_, branch) = try fixture.started(2, title: "Branch gone")
        let (merged, mergedBranch) = try fixture.started(3, title: "Merged")
        try fixture.git("worktree", "remove", gone)
        try fixture.git("checkout", "-q", "--detach", in: fixture.folder.file("repo-branch-gone"))
        try fixture.git("branch", "-D", branch)
        try fixture.commit("m.txt", "m", in: merged)
        try fixture.ppds(["ship", "3", "--pr", "https://github.com/o/r/pull/3", "--force"]).check()
        try fixture.git("merge", "-q", "--squash", mergedBranch)
        try fixture.git("commit", "-q", "-m", "squash")
        let json = try fixture.ppds(["status", "--json"]).check().json()
        let problems = (json["problems"] as? [[String: Any]] ?? []).map { "\($0["issue"] as? String ?? "") \($0["kind"] as? String ?? "")" }
        #expect(problems.contains("#1 worktreeMissing"))
        #expect(problems.contains("#2 branchMissing"))
        #expect(problems.contains("#2 branchMismatch"))
        #expect(problems.contains("#3 mergedReadyToPrune"))
        let text = try fixture.ppds(["status"]).check().stdout
        // Said as a person would; the JSON keeps the exact check.
        #expect(text.contains("same files as the base") || text.contains("squash-merged"), "\(text)")
        #expect(!text.contains("tree-equal") && !text.contains("merge-adds-nothing"))
    }

    @Test func watchPrintsANewViewWhenAFileChanges() throws {
        let fixture = try GitFixture()
        try fixture.started(1, title: "Watched")
        let out = Pipe()
        let process = try fixture.launchPPDS(["watch", "--interval", "60", "--count", "2"], output: out)
        // Wait for the first view, then change the session through the CLI.
        var collected = Data()
        let fd = out.fileHandleForReading.fileDescriptor
        while !String(decoding: collected, as: UTF8.self).contains("feat/watched") {
            guard let chunk = readChunk(fd) else { break }
            collected += chunk
        }
        try fixture.ppds(["update", "1", "--status", "stuck", "--reason", "help"]).check()
        collected += readToEnd(fd)
        process.waitUntilExit()
        let text = String(decoding: collected, as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(text.components(separatedBy: "--- ppds watch").count == 3)
        #expect(text.contains("◀ NEW STUCK"))
    }
}
