import Foundation
import Testing
import TestSupport
import Config
import Lifecycle
import SessionKit
import Support
import View
import Forge

/// `ppds issues`, `start-work --from-issues`, the tracker check of `start-work`, and the PR/CI
/// state of shipped sessions, against a stand-in `gh` on PATH that prints recorded JSON of the
/// real shapes (gh's manual: gh_issue_list, gh_pr_view; GitHub's GraphQL enums).
@Suite struct ForgeTests {
    let fixture: GitFixture
    let bin: String
    let log: String

    init() throws {
        fixture = try GitFixture()
        bin = fixture.folder.file("bin")
        log = fixture.folder.file("gh-args.txt")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fixture.folder.file("forge"), withIntermediateDirectories: true)
        // The stand-in answers from files: issues.json, issue-<n>.json, pr-<n>.json; `offline`
        // (a file) makes it fail as gh does without a network.
        let data = fixture.folder.file("forge")
        try """
        #!/bin/sh
        printf '%s\\n' "$*" >> \(log)
        if [ -e \(data)/offline ]; then
          echo 'error connecting to api.github.com' >&2
          echo 'check your internet connection or https://githubstatus.com' >&2
          exit 1
        fi
        case "$1 $2" in
          "issue list") cat \(data)/issues.json ;;
          "issue view")
            if [ -e \(data)/issue-$3.json ]; then cat \(data)/issue-$3.json; else
              echo "GraphQL: Could not resolve to an issue or pull request with the number of $3. (repository.issue)" >&2; exit 1
            fi ;;
          "pr view") n=${3##*/}; cat \(data)/pr-$n.json ;;
          *) echo "unknown command $1 $2" >&2; exit 1 ;;
        esac
        """.write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
    }

    var environment: [String: String] { ["PATH": bin + ":/usr/bin:/bin"] }

    func record(_ name: String, _ json: String) throws {
        try json.write(toFile: fixture.folder.file("forge/" + name), atomically: true, encoding: .utf8)
    }

    func offline(_ on: Bool) throws {
        let flag = fixture.folder.file("forge/offline")
        if on { try "".write(toFile: flag, atomically: true, encoding: .utf8) } else { try? FileManager.default.removeItem(atPath: flag) }
    }

    func priorities() throws {
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try "[issues]\nlabel_priority = [\"p0\", \"p1\"]\n".write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
    }

    func ghCalls() -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    // `gh issue list --json number,title,labels,assignees,updatedAt,url`, as gh prints it.
    static let issues = """
    [{"assignees":[],"labels":[{"id":"LA_kwDOA1","name":"ready","description":"","color":"0e8a16"}],"number":11,"title":"Old and unlabelled \\u001b]0;pwned\\u0007","updatedAt":"2026-11-01T09:00:00Z","url":"https://github.com/o/r/issues/11"},
     {"assignees":[{"id":"MDQ6VXNlcjE=","login":"octocat","name":"The Octocat"}],"labels":[{"id":"LA_kwDOA2","name":"ready","description":"","color":"0e8a16"},{"id":"LA_kwDOA3","name":"p1","description":"","color":"d93f0b"}],"number":12,"title":"Crash on empty cart","updatedAt":"2026-12-01T10:00:00Z","url":"https://github.com/o/r/issues/12"},
     {"assignees":[],"labels":[{"id":"LA_kwDOA4","name":"ready","description":"","color":"0e8a16"},{"id":"LA_kwDOA5","name":"p0","description":"","color":"b60205"}],"number":13,"title":"Login fails","updatedAt":"2026-12-03T10:00:00Z","url":"https://github.com/o/r/issues/13"},
     {"assignees":[],"labels":[{"id":"LA_kwDOA6","name":"p0","description":"","color":"b60205"}],"number":14,"title":"Already started here","updatedAt":"2026-10-01T10:00:00Z","url":"https://github.com/o/r/issues/14"}]
    """

    @Test func theListShowsEachIssuesStateAndPutsUnclaimedFirstByLabelPriority() throws {
        try record("issues.json", Self.issues)
        try priorities()
        try fixture.started(14, title: "Already started here")
        let result = try fixture.ppds(["issues", "--label", "ready", "--json"], environment: environment).check()
        let json = try result.json()
        #expect(json["version"] as? Int == 1)
        #expect(json["source"] as? String == "tracker")
        let issues = try #require(json["issues"] as? [[String: Any]])
        // Unclaimed first: p0 (#13), p1 (#12), none (#11); then the one with a session here.
        #expect(issues.map { $0["issue"] as? String } == ["#13", "#12", "#11", "#14"])
        #expect(issues[3]["claimed"] as? Bool == true)
        #expect((issues[3]["here"] as? [String: Any])?["status"] as? String == "registered")
        #expect(issues[1]["assignees"] as? [String] == ["octocat"])
        #expect(ghCalls().last == "issue list --json number,title,labels,assignees,updatedAt,url --limit 30 --state open --label=ready")

        let text = try fixture.ppds(["issues"], environment: environment).check().stdout
        #expect(text.contains("#13 Login fails [ready, p0] — free"), "\(text)")
        #expect(text.contains("#14 Already started here [p0] — here: registered on "), "\(text)")
        // The tracker's text never reaches the terminal raw.
        #expect(!text.contains("\u{1B}"), "\(text)")
        #expect(text.contains("\\e]0;pwned"), "\(text)")
    }

    @Test func offlineTheLastListIsShownWithItsAgeAndANote() throws {
        try record("issues.json", Self.issues)
        // Nothing cached yet, and the tracker unreachable: a clear failure.
        try offline(true)
        let none = try fixture.ppds(["issues"], environment: environment)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no earlier list of this repository's issues is cached"), "\(none.stderr)")
        try offline(false)
        try fixture.ppds(["issues"], environment: environment).check()
        let cacheFolder = fixture.home + "/forge"
        let entries = try FileManager.default.subpathsOfDirectory(atPath: cacheFolder).filter { $0.hasSuffix("issues.json") }
        #expect(entries.count == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: cacheFolder + "/" + entries[0])[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try offline(true)
        let cached = try fixture.ppds(["issues", "--label", "p0", "--json"], environment: environment).check()
        let json = try cached.json()
        #expect(json["source"] as? String == "cache")
        #expect((json["note"] as? String)?.contains("the tracker could not be asked (error connecting to api.github.com") == true)
        // The label filter is applied to the cached list again (no label priority here: the oldest first).
        #expect((json["issues"] as? [[String: Any]])?.map { $0["issue"] as? String } == ["#14", "#13"])
        let text = try fixture.ppds(["issues"], environment: environment).check().stdout
        #expect(text.hasPrefix("note: the tracker could not be asked"), "\(text)")
        #expect(text.contains("(cached "), "\(text)")
        // Without gh at all, the same.
        let noGh = try fixture.ppds(["issues", "--json"], environment: ["PATH": "/usr/bin:/bin"]).check()
        #expect(((try noGh.json())["note"] as? String)?.contains("gh is not on PATH") == true)
    }

    @Test func startWorkFromIssuesStartsTheUnclaimedOnesInOrder() throws {
        try record("issues.json", Self.issues)
        try priorities()
        try fixture.started(14, title: "Already started here")
        let result = try fixture.ppds(["start-work", "--from-issues", "--label", "ready", "--limit", "2", "--json"], environment: environment).check()
        let results = try #require((try result.json())["results"] as? [[String: Any]])
        #expect(results.map { $0["issue"] as? String } == ["#13", "#12"])
        #expect(results.map { $0["outcome"] as? String } == ["started", "started"])
        #expect(results[1]["branch"] as? String == "fix/crash-on-empty-cart")
        // Titles came with the list: no `gh issue view` per issue.
        #expect(!ghCalls().contains { $0.hasPrefix("issue view") })
        // The rest: only #11 is left unclaimed.
        let rest = try fixture.ppds(["start-work", "--from-issues", "--json"], environment: environment).check()
        #expect(((try rest.json())["results"] as? [[String: Any]])?.map { $0["issue"] as? String } == ["#11"])
        let none = try fixture.ppds(["start-work", "--from-issues"], environment: environment).check()
        #expect(none.stdout.contains("No unclaimed open issue matches"))
        let mixed = try fixture.ppds(["start-work", "--from-issues", "5"], environment: environment)
        #expect(mixed.status == 64)
    }

    @Test func startWorkRefusesAClosedOrUnknownIssueUnlessForced() throws {
        try record("issue-21.json", #"{"labels":[],"number":21,"state":"CLOSED","title":"Done already"}"#)
        try record("issue-22.json", #"{"labels":[{"id":"LA_1","name":"bug","description":"","color":"d73a4a"}],"number":22,"state":"OPEN","title":"Open one"}"#)
        let closed = try fixture.ppds(["start-work", "21"], environment: environment)
        #expect(closed.status == 2)
        #expect(closed.stderr.contains("#21 is closed on the tracker; nothing was created"), "\(closed.stderr)")
        #expect(!fixture.sessionFileExists(21))
        let unknown = try fixture.ppds(["start-work", "999"], environment: environment)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no such issue"), "\(unknown.stderr)")
        #expect(ghCalls().contains("issue view 21 --json number,title,labels,state"))
        let forced = try fixture.ppds(["start-work", "21", "--force", "--json"], environment: environment).check()
        let item = try #require(((try forced.json())["results"] as? [[String: Any]])?.first)
        #expect(item["outcome"] as? String == "started")
        #expect((item["warnings"] as? [String])?.contains("#21 is closed on the tracker; started anyway (--force)") == true)
        try fixture.ppds(["start-work", "22"], environment: environment).check()
        // Unreachable: starts, with a note.
        try offline(true)
        let unreachable = try fixture.ppds(["start-work", "23", "--json"], environment: environment).check()
        let note = try #require(((try unreachable.json())["results"] as? [[String: Any]])?.first?["warnings"] as? [String])
        #expect(note.contains { $0.contains("started without checking that it exists") }, "\(note)")
    }

    // `gh pr view <url> --json state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName`.
    static func pr(state: String = "OPEN", draft: Bool = false, review: String = "", checks: [String], mergedAt: String? = nil) -> String {
        let merged = mergedAt.map { "\"\($0)\"" } ?? "null"
        let commit = mergedAt == nil ? "null" : #"{"oid":"4f2c3e1d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"}"#
        return #"{"headRefName":"feat/work","isDraft":\#(draft),"mergeCommit":\#(commit),"mergedAt":\#(merged),"reviewDecision":"\#(review)","state":"\#(state)","statusCheckRollup":[\#(checks.joined(separator: ","))]}"#
    }

    static func checkRun(_ name: String, status: String = "COMPLETED", conclusion: String) -> String {
        #"{"__typename":"CheckRun","completedAt":"2026-12-01T10:05:00Z","conclusion":"\#(conclusion)","detailsUrl":"https://github.com/o/r/actions/runs/1/job/2","name":"\#(name)","startedAt":"2026-12-01T10:00:00Z","status":"\#(status)","workflowName":"CI"}"#
    }

    static func statusContext(_ name: String, state: String) -> String {
        #"{"__typename":"StatusContext","context":"\#(name)","startedAt":"2026-12-01T10:00:00Z","state":"\#(state)","targetUrl":"https://ci.example.com/build/7"}"#
    }

    @Test func prAndCIStateOfShippedSessions() throws {
        try fixture.shipped(1)
        try fixture.shipped(2, file: "two.txt")
        try fixture.shipped(3, file: "three.txt")
        try fixture.shipped(4, file: "four.txt")
        try fixture.shipped(5, file: "five.txt")
        try record("pr-1.json", Self.pr(review: "REVIEW_REQUIRED", checks: [Self.checkRun("build", conclusion: "SUCCESS"), Self.checkRun("lint", conclusion: "FAILURE"), Self.statusContext("ci/unit", state: "SUCCESS")]))
        try record("pr-2.json", Self.pr(review: "APPROVED", checks: (1...12).map { Self.checkRun("job\($0)", conclusion: $0 == 3 ? "SKIPPED" : "SUCCESS") }))
        try record("pr-3.json", Self.pr(draft: true, checks: [Self.checkRun("build", status: "IN_PROGRESS", conclusion: ""), Self.statusContext("ci/unit", state: "PENDING")]))
        try record("pr-4.json", Self.pr(state: "MERGED", review: "APPROVED", checks: [Self.checkRun("build", conclusion: "SUCCESS")], mergedAt: "2026-12-02T08:00:00Z"))
        try record("pr-5.json", Self.pr(review: "CHANGES_REQUESTED", checks: []))

        // Before any refresh: no PR state, nothing asked.
        #expect(!(try fixture.ppds(["status"], environment: environment).check().stdout.contains("CI ")))
        #expect(ghCalls().isEmpty)

        let text = try fixture.ppds(["status", "--prs"], environment: environment).check().stdout
        #expect(text.contains("PR open · CI failing: lint · waiting for review (checked "), "\(text)")
        #expect(text.contains("PR open · CI 12/12 passing · review approved"), "\(text)")
        #expect(text.contains("draft · CI running: 0/2 passed, 2 pending"), "\(text)")
        #expect(text.contains("merged on the forge: run 'ppds prune --fetch'"), "\(text)")
        #expect(text.contains("PR open · changes requested"), "\(text)")
        #expect(ghCalls().contains("pr view https://example.com/o/r/pull/1 --json state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName"))
        // The Review PRs order: approved and green, waiting for review, failing, then merged.
        let order = text.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #"#\d+"#, options: .regularExpression), line.contains("example.com") else { return nil }
            return String(line[range])
        }
        #expect(order == ["#2", "#3", "#1", "#5", "#4"], "\(text)")

        // Cached: shown without asking again, with its age; the same in JSON and show.
        try offline(true)
        let calls = ghCalls().count
        let json = try fixture.ppds(["status", "--json"], environment: environment).check().json()
        #expect(ghCalls().count == calls)
        let sessions = try #require(json["sessions"] as? [[String: Any]])
        let pr1 = try #require(sessions.first { $0["issue"] as? String == "#1" }?["pullRequest"] as? [String: Any])
        #expect(pr1["state"] as? String == "open")
        #expect(pr1["ci"] as? String == "failing")
        #expect(pr1["review"] as? String == "reviewRequired")
        #expect(pr1["failedChecks"] as? [String] == ["lint"])
        #expect(pr1["checksTotal"] as? Int == 3)
        #expect(pr1["fetchedAt"] is String)
        let pr4 = try #require(sessions.first { $0["issue"] as? String == "#4" }?["pullRequest"] as? [String: Any])
        #expect(pr4["state"] as? String == "merged")
        #expect(pr4["mergeCommit"] as? String == "4f2c3e1d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d")
        #expect(sessions.first { $0["issue"] as? String == "#3" }?["pullRequest"].flatMap { ($0 as? [String: Any])?["state"] as? String } == "draft")
        let show = try fixture.ppds(["show", "2"], environment: environment).check().stdout
        #expect(show.contains("forge:     PR open · CI 12/12 passing · review approved (checked "), "\(show)")
        // Offline, --prs keeps the last state and says why it is not fresh.
        let stale = try fixture.ppds(["status", "--prs"], environment: environment).check()
        #expect(stale.stderr.contains("the forge could not be asked about 5 PRs (error connecting to api.github.com"), "\(stale.stderr)")
        #expect(stale.stdout.contains("CI 12/12 passing"))
    }

    /// Merged on the forge is a hint to fetch, never evidence: prune keeps work git does not see merged.
    @Test func aPRMergedOnTheForgeIsNotRemovalEvidence() throws {
        let (worktree, branch, _) = try fixture.shipped(1)
        try record("pr-1.json", Self.pr(state: "MERGED", review: "APPROVED", checks: [], mergedAt: "2026-12-02T08:00:00Z"))
        try fixture.ppds(["status", "--prs"], environment: environment).check()
        let (result, items) = try fixture.prune(["--min-age", "0s"])
        #expect(result.status != 0 || items["#1"]?["outcome"] as? String != "removed", "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try fixture.branchExists(branch))
        #expect(fixture.sessionFileExists(1))
    }

    /// The ordering, as a table: unclaimed first, then label priority, then the oldest update, then the number.
    @Test func issueOrderingTable() {
        let day: TimeInterval = 86400
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        func entry(_ n: Int, _ labels: [String], updated: Double?, claimed: Bool) -> IssueBoardEntry {
            let issue = TrackerIssue(number: IssueNumber(n)!, title: "i\(n)", labels: labels, updatedAt: updated.map { base.addingTimeInterval($0 * day) })
            return IssueBoardEntry(issue: issue, elsewhere: claimed ? ElsewhereState(kind: .claim, machine: nil, status: nil, since: nil) : nil)
        }
        let cases: [(String, [IssueBoardEntry], [String], [Int])] = [
            ("unclaimed before claimed, whatever the labels", [entry(1, ["p0"], updated: 0, claimed: true), entry(2, [], updated: 5, claimed: false)], ["p0"], [2, 1]),
            ("label priority among the unclaimed", [entry(1, ["p2"], updated: 0, claimed: false), entry(2, ["P0"], updated: 9, claimed: false), entry(3, ["x", "p1"], updated: 1, claimed: false)], ["p0", "p1", "p2"], [2, 3, 1]),
            ("the best label an issue carries counts", [entry(1, ["p2", "p0"], updated: 5, claimed: false), entry(2, ["p1"], updated: 0, claimed: false)], ["p0", "p1", "p2"], [1, 2]),
            ("no configured label ranks last", [entry(1, [], updated: 0, claimed: false), entry(2, ["p2"], updated: 9, claimed: false)], ["p0", "p1", "p2"], [2, 1]),
            ("same rank: the oldest update first, unknown last", [entry(1, ["p1"], updated: nil, claimed: false), entry(2, ["p1"], updated: 3, claimed: false), entry(3, ["p1"], updated: 1, claimed: false)], ["p1"], [3, 2, 1]),
            ("all equal: by number", [entry(9, [], updated: 1, claimed: false), entry(4, [], updated: 1, claimed: false)], [], [4, 9]),
        ]
        for (name, entries, priority, expected) in cases {
            #expect(IssueOrdering.ordered(entries, labelPriority: priority).map(\.issue.number.value) == expected, "\(name)")
        }
    }

    /// The review order, as a table.
    @Test func reviewQueueTable() {
        let now = Date()
        func pr(_ state: PullRequestState, _ review: ReviewDecision, _ checks: [CheckSummary.Outcome]) -> PullRequestStatus {
            PullRequestStatus(url: "https://example.com/o/r/pull/1", state: state, review: review,
                              checks: checks.enumerated().map { CheckSummary(name: "c\($0.offset)", outcome: $0.element) }, fetchedAt: now)
        }
        let cases: [(String, PullRequestStatus?, Int)] = [
            ("approved and green", pr(.open, .approved, [.passed, .skipped]), 0),
            ("approved without checks", pr(.open, .approved, []), 0),
            ("approved, CI running", pr(.open, .approved, [.passed, .pending]), 1),
            ("waiting for review", pr(.open, .reviewRequired, [.passed]), 1),
            ("draft", pr(.draft, .none, [.passed]), 1),
            ("CI failing though approved", pr(.open, .approved, [.passed, .failed]), 2),
            ("changes requested", pr(.open, .changesRequested, [.passed]), 2),
            ("not fetched yet", nil, 3),
            ("merged", pr(.merged, .approved, [.passed]), 4),
            ("closed", pr(.closed, .none, []), 4),
        ]
        for (name, status, rank) in cases { #expect(ReviewQueue.rank(status) == rank, "\(name)") }
    }

    @Test func checksAreReadFromBothShapesOfTheRollup() throws {
        let value = try JSONValue.parse(Data(Self.pr(checks: [
            Self.checkRun("build", conclusion: "SUCCESS"), Self.checkRun("slow", status: "QUEUED", conclusion: ""),
            Self.checkRun("flaky", conclusion: "TIMED_OUT"), Self.checkRun("docs", conclusion: "NEUTRAL"),
            Self.statusContext("ci/a", state: "ERROR"), Self.statusContext("ci/b", state: "EXPECTED"),
        ]).utf8))
        let status = try #require(PullRequestStatus(gh: value, url: "https://example.com/o/r/pull/1", fetchedAt: Date()))
        #expect(status.checks.map(\.outcome) == [.passed, .pending, .failed, .skipped, .failed, .pending])
        #expect(status.ci == .failing)
        #expect(status.failedChecks == ["flaky", "ci/a"])
        #expect(PullRequestText.describe(status) == "PR open · CI failing: flaky, ci/a")
        #expect(PullRequestStatus(gh: .object(["state": .string("WEIRD")]), url: "u", fetchedAt: Date()) == nil)
    }
}

extension ForgeTests {
    /// Another machine's session (as sync mirrors it) makes an issue claimed elsewhere.
    @Test func anotherMachinesSessionIsShownElsewhere() throws {
        try record("issues.json", Self.issues)
        try fixture.started(11, title: "Mine")
        let local = fixture.home + "/sessions/work-11.json"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: local))) as? [String: Any])
        object["id"] = "work-12"
        object["issue"] = "#12"
        object["machine"] = ["id": "m-laptop", "label": "laptop"]
        let mirror = fixture.home + "/registry/" + SessionStore.folderKey(forRepo: fixture.repo) + "/sessions"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: mirror + "/work-12.json"))
        let json = try fixture.ppds(["issues", "--json"], environment: environment).check().json()
        let issues = try #require(json["issues"] as? [[String: Any]])
        let twelve = try #require(issues.first { $0["issue"] as? String == "#12" })
        #expect(twelve["claimed"] as? Bool == true)
        #expect((twelve["elsewhere"] as? [String: Any])?["kind"] as? String == "session")
        #expect(((twelve["elsewhere"] as? [String: Any])?["machine"] as? [String: Any])?["label"] as? String == "laptop")
        #expect(issues.suffix(2).compactMap { $0["issue"] as? String }.sorted() == ["#11", "#12"])
        let text = try fixture.ppds(["issues"], environment: environment).check().stdout
        #expect(text.contains("#12 Crash on empty cart [ready, p1] @octocat — on laptop: registered"), "\(text)")
    }
}
