import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PPDSServer
import Testing
import TestSupport

/// Plan review over the API: the same operations and refusals as `ppds plan/approve/revise`.
@Suite struct PlanRouteTests {
    func attach(_ setup: RouteFixture, _ issue: Int, _ text: String) throws {
        try setup.fixture.ppds(["update", String(issue), "--status", "planning_complete", "--plan", "-"], stdin: text).check()
    }

    @Test func approveReviseAndReadThePlan() async throws {
        let setup = try RouteFixture()
        try attach(setup, 1, "Plan one\n")
        try attach(setup, 2, "Plan two\n")
        try await setup.test { client in
            let plan = try await client.execute(uri: "/api/v1/sessions/1/plan", method: .get)
            #expect(plan.status == .ok, "\(plan.text)")
            let document = try plan.object()
            #expect(document["version"] as? Int == 1)
            #expect((document["plan"] as? [String: Any])?["text"] as? String == "Plan one\n")
            #expect((document["summary"] as? [String: Any])?["state"] as? String == "waiting")

            // A stale version is a conflict naming the next step; the right one is approved.
            let stale = try await client.execute(uri: "/api/v1/sessions/1/approve", method: .post, headers: jsonHeaders, body: body(#"{"version":7}"#))
            #expect(stale.status == .conflict)
            #expect(try stale.apiError().message.contains("ppds plan 1"))
            let approved = try await client.execute(uri: "/api/v1/sessions/1/approve", method: .post, headers: jsonHeaders,
                                                    body: body(#"{"version":1,"message":"ship it"}"#))
            #expect(approved.status == .ok, "\(approved.text)")
            let answer = try approved.object()
            #expect(answer["verdict"] as? String == "approved" && answer["planVersion"] as? Int == 1)
            #expect((answer["session"] as? [String: Any])?["status"] as? String == "working")
            #expect((answer["session"] as? [String: Any])?["group"] as? String == "working")
            // Answered once, the session is no longer at planning_complete.
            let again = try await client.execute(uri: "/api/v1/sessions/1/approve", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(again.status == .conflict)

            // revise needs words; with them, the session goes back to planning.
            let empty = try await client.execute(uri: "/api/v1/sessions/2/revise", method: .post, headers: jsonHeaders, body: body(#"{"version":1}"#))
            #expect(empty.status == .badRequest)
            let badVersion = try await client.execute(uri: "/api/v1/sessions/2/revise", method: .post, headers: jsonHeaders, body: body(#"{"version":"1","message":"x"}"#))
            #expect(badVersion.status == .badRequest)
            let revised = try await client.execute(uri: "/api/v1/sessions/2/revise", method: .post, headers: jsonHeaders,
                                                   body: body(#"{"version":1,"message":"smaller steps"}"#))
            #expect(revised.status == .ok, "\(revised.text)")
            #expect((try revised.object()["session"] as? [String: Any])?["status"] as? String == "planning")

            let none = try await client.execute(uri: "/api/v1/sessions/3/plan", method: .get)
            #expect(none.status == .notFound)

            // A worker attaches the next version through the API, as with 'update --plan'.
            let wrongStatus = try await client.execute(uri: "/api/v1/sessions/2/status", method: .post, headers: jsonHeaders,
                                                       body: body(#"{"status":"working","plan":"x"}"#))
            #expect(wrongStatus.status == .badRequest)
            let attached = try await client.execute(uri: "/api/v1/sessions/2/status", method: .post, headers: jsonHeaders,
                                                    body: body(#"{"status":"planning_complete","plan":"Plan two, smaller\n"}"#))
            #expect(attached.status == .ok, "\(attached.text)")
            let second = try await client.execute(uri: "/api/v1/sessions/2/plan", method: .get).object()
            #expect((second["plan"] as? [String: Any])?["version"] as? Int == 2)
            #expect((second["plan"] as? [String: Any])?["text"] as? String == "Plan two, smaller\n")
        }
        // Without the token, no answer.
        try await setup.test(anonymous: true) { client in
            let refused = try await client.execute(uri: "/api/v1/sessions/2/approve", method: .post, headers: jsonHeaders, body: body("{}"))
            #expect(refused.status == .unauthorized)
        }
        let history = try setup.fixture.ppds(["plan", "2", "--history"]).check().stdout
        #expect(history.contains("changes requested by") && history.contains("smaller steps"))
    }
}
