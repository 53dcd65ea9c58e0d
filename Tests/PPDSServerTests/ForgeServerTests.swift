import Foundation
import Testing
import TestSupport

/// The forge over HTTP, through the built `ppds serve` and a stand-in `gh` on its PATH:
/// `GET /api/v1/issues`, the background PR refresh (`--pr-interval`), and the refresh route.
@Suite struct ForgeServerTests {
    @Test func issuesAndPullRequestStateOverHTTP() throws {
        let fixture = try GitFixture()
        let bin = fixture.folder.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        // Recorded shapes of `gh issue list --json number,title,labels,assignees,updatedAt,url`
        // and `gh pr view --json state,isDraft,reviewDecision,statusCheckRollup,mergedAt,mergeCommit,headRefName`.
        try """
        #!/bin/sh
        case "$1 $2" in
          "issue list") echo '[{"assignees":[],"labels":[{"id":"LA_1","name":"ready","description":"","color":"0e8a16"}],"number":7,"title":"<img src=x onerror=alert(1)>","updatedAt":"2026-12-01T10:00:00Z","url":"https://github.com/o/r/issues/7"}]' ;;
          "pr view") echo '{"headRefName":"feat/one","isDraft":false,"mergeCommit":null,"mergedAt":null,"reviewDecision":"APPROVED","state":"OPEN","statusCheckRollup":[{"__typename":"CheckRun","completedAt":"2026-12-01T10:05:00Z","conclusion":"SUCCESS","detailsUrl":"https://github.com/o/r/actions/runs/1/job/2","name":"build","startedAt":"2026-12-01T10:00:00Z","status":"COMPLETED","workflowName":"CI"}]}' ;;
          *) exit 1 ;;
        esac
        """.write(toFile: bin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/gh")
        try fixture.ppds(["start-work", "1", "--offline", "--no-hooks", "--title", "One"]).check()
        try fixture.ppds(["ship", "1", "--pr", "https://github.com/o/r/pull/1", "--force"]).check()
        let server = try ServerProcess(fixture, arguments: ["--pr-interval", "1s"], environment: ["PATH": bin + ":/usr/bin:/bin"])

        let issues = try server.request("GET", "/api/v1/issues?label=ready")
        #expect(issues.status == 200, "\(issues.body)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(issues.body.utf8)) as? [String: Any])
        #expect(document["version"] as? Int == 1)
        #expect((document["issues"] as? [[String: Any]])?.first?["title"] as? String == "<img src=x onerror=alert(1)>")
        #expect(try server.request("GET", "/api/v1/issues?limit=0").status == 400)

        // The background refresh fills the PR state in without any request asking for it.
        var pullRequest: [String: Any]?
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, pullRequest == nil {
            let reply = try server.request("GET", "/api/v1/sessions/1")
            let session = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])?["session"] as? [String: Any]
            pullRequest = session?["pullRequest"] as? [String: Any]
            if pullRequest == nil { usleep(200_000) }
        }
        #expect(pullRequest?["summary"] as? String == "PR open · CI 1/1 passing · review approved")
        #expect(pullRequest?["ci"] as? String == "passing")

        let refresh = try server.request("POST", "/api/v1/pull-requests/refresh", headers: ["Content-Type": "application/json"], body: "{}")
        #expect(refresh.status == 200, "\(refresh.body)")
        #expect(refresh.body.contains("\"outcome\":\"refreshed\""), "\(refresh.body)")
        let list = try server.request("GET", "/api/v1/sessions")
        #expect(list.body.contains("\"reviewRank\":0"), "\(list.body)")
    }

    /// Starting work over HTTP is the CLI's start-work: the same report, the failure's kind on the
    /// status line, and every field checked.
    @Test func startWorkOverHTTP() throws {
        let fixture = try GitFixture()
        let server = try ServerProcess(fixture)
        let json = ["Content-Type": "application/json"]
        let started = try server.request("POST", "/api/v1/sessions", headers: json, body: ##"{"issues": [31, "#32"], "offline": true}"##)
        #expect(started.status == 200, "\(started.body)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(started.body.utf8)) as? [String: Any])
        #expect((report["results"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["started", "started"])
        #expect(try server.request("GET", "/api/v1/sessions").body.contains("\"issue\":\"#31\""))
        // Again: the sessions exist, nothing is redone.
        let again = try server.request("POST", "/api/v1/sessions", headers: json, body: #"{"issues": [31], "offline": true}"#)
        #expect(again.status == 200 && again.body.contains("\"outcome\":\"existing\""), "\(again.body)")
        for bad in [#"{}"#, #"{"issues": []}"#, #"{"issues": ["x"]}"#, #"{"issues": [1], "offline": "yes"}"#, #"{"issues": [1], "exec": ["sh"]}"#] {
            let refused = try server.request("POST", "/api/v1/sessions", headers: json, body: bad)
            #expect(refused.status == 400, "\(bad): \(refused.body)")
        }
        #expect(try fixture.git("worktree", "list", "--porcelain").components(separatedBy: "\n").filter { $0.hasPrefix("worktree ") }.count == 3)
    }
}
