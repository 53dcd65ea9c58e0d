import Foundation
import Testing
import TestSupport
import SessionKit
import Support

@Suite struct SessionFileTests {
    static let specExample = """
    {
      "id": "work-123",
      "status": "working",
      "issue": "#123",
      "branch": "fix/auth-bug",
      "worktree": "/home/me/ppds-auth-bug",
      "started": "2025-01-08T10:30:00Z",
      "lastUpdate": "2025-01-08T11:15:00Z",
      "stuck": null
    }
    """

    @Test func readsTheSpecExampleAsWritten() throws {
        let session = try Session.decode(Data(Self.specExample.utf8), file: "work-123.json")
        #expect(session.id == "work-123")
        #expect(session.issue.value == 123)
        #expect(session.status == .working)
        #expect(session.branch == "fix/auth-bug")
        #expect(session.worktree == "/home/me/ppds-auth-bug")
        #expect(Timestamp.format(session.started) == "2025-01-08T10:30:00Z")
        #expect(Timestamp.format(session.lastUpdate) == "2025-01-08T11:15:00Z")
        #expect(session.stuck == nil)
        // Written back, it is the same document.
        let again = try JSONSerialization.jsonObject(with: session.encoded()) as! NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(Self.specExample.utf8)) as! NSDictionary
        #expect(again == original)
    }

    @Test func readsTheSpecStuckExample() throws {
        let text = Self.specExample.replacingOccurrences(of: "\"working\"", with: "\"stuck\"").replacingOccurrences(of: "\"stuck\": null", with: """
        "stuck": {
            "reason": "Auth/Security decision needed",
            "context": "Token refresh approach unclear - use sliding expiration or fixed?",
            "options": ["sliding", "fixed", "ask user preference"],
            "since": "2025-01-08T11:00:00Z"
          }
        """)
        let session = try Session.decode(Data(text.utf8), file: "f")
        #expect(session.status == .stuck)
        #expect(session.stuck?.reason == "Auth/Security decision needed")
        #expect(session.stuck?.options == ["sliding", "fixed", "ask user preference"])
    }

    @Test func unknownKeysSurviveARewrite() throws {
        let text = Self.specExample.replacingOccurrences(of: "\"stuck\": null", with: """
        "stuck": null, "agent": {"model": "x", "tokens": 12345, "ratio": 0.5, "tags": ["a", null, true]}, "note": "keep me"
        """)
        let session = try Session.decode(Data(text.utf8), file: "f")
        let changed = try session.applying(.update(status: .planning, stuck: nil, pr: nil, force: false), at: Date())
        let object = try JSONSerialization.jsonObject(with: changed.encoded()) as! [String: Any]
        #expect(object["note"] as? String == "keep me")
        let agent = object["agent"] as! [String: Any]
        #expect(agent["model"] as? String == "x")
        #expect(agent["tokens"] as? Int == 12345)
        #expect(agent["ratio"] as? Double == 0.5)
        #expect((agent["tags"] as? [Any])?.count == 3)
        #expect(object["status"] as? String == "planning")
    }

    @Test func unknownStatusesAreKeptAndAliasesRead() throws {
        for value in ["shipping", "reviews_in_progress"] {
            let text = Self.specExample.replacingOccurrences(of: "\"working\"", with: "\"\(value)\"")
            let session = try Session.decode(Data(text.utf8), file: "f")
            #expect(session.status == .other(value))
            #expect(session.status.isActive)
            let object = try JSONSerialization.jsonObject(with: session.encoded()) as! [String: Any]
            #expect(object["status"] as? String == value)
        }
        let ready = Self.specExample.replacingOccurrences(of: "\"working\"", with: "\"pr_ready\"")
        #expect(try Session.decode(Data(ready.utf8), file: "f").status == .complete)
    }

    /// One table: each status ppds knows reads back from its own spelling, and only another
    /// tool's value is `.other`.
    @Test func everyKnownStatusReadsFromItsSpelling() {
        for known in SessionStatus.Known.allCases {
            #expect(SessionStatus(fileValue: known.rawValue) == known.status)
            #expect(known.status.fileValue == known.rawValue)
            #expect(known.status.known == known)
            #expect(SessionStatus(userValue: known.rawValue) == known.status)
        }
        #expect(SessionStatus.canonical == SessionStatus.Known.allCases.map(\.status))
        #expect(SessionStatus(fileValue: "shipping") == .other("shipping"))
        #expect(SessionStatus.other("shipping").known == nil)
        #expect(SessionStatus(userValue: "shipping") == nil)
        #expect(SessionStatus(userValue: "pr_ready") == .complete)
    }

    @Test func corruptFilesAreNamedWithTheReason() {
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            ("[1, 2]", "not a JSON object"),
            (Self.specExample.replacingOccurrences(of: "\"branch\": \"fix/auth-bug\",", with: ""), "missing key 'branch'"),
            (Self.specExample.replacingOccurrences(of: "2025-01-08T10:30:00Z", with: "yesterday"), "'started' is not an ISO-8601 time"),
            (Self.specExample.replacingOccurrences(of: "\"#123\"", with: "\"../etc\""), "'issue' is not an issue number"),
            (Self.specExample.replacingOccurrences(of: "\"work-123\"", with: "\"work-9\""), "does not match"),
        ]
        for (text, reason) in cases {
            do {
                _ = try Session.decode(Data(text.utf8), file: "/x/work-123.json")
                Issue.record("expected \(reason)")
            } catch {
                #expect(error.file == "/x/work-123.json")
                #expect(error.reason.contains(reason), "\(error.reason)")
            }
        }
    }

    @Test func issueNumbersParseStrictly() {
        #expect(IssueNumber(parsing: "456")?.value == 456)
        #expect(IssueNumber(parsing: "#456")?.value == 456)
        #expect(IssueNumber(parsing: "work-456")?.value == 456)
        for bad in ["0", "-3", "12abc", "../x", "/tmp/a", "", "#", "99999999999999999999999", "4 5", "٣"] {
            #expect(IssueNumber(parsing: bad) == nil, "\(bad)")
        }
    }
}
