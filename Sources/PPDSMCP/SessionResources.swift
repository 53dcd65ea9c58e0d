import Foundation
import Lifecycle
import MCP
import SessionKit
import Support
import View
import Agents
import Forge
import LifecycleCore
import Replication

/// Sessions as MCP resources:
/// - `ppds://sessions`: the orchestrator view (the status document);
/// - `ppds://sessions/<n>`: one session (the show document);
/// - `ppds://attention`: the sessions waiting for a human (a stuck question or a plan to
///   review). Subscribed, it is the "tell me when someone needs me" channel: it changes exactly
///   when a session becomes stuck, its plan becomes ready, or one of them is answered.
enum SessionResources {
    static let sessionsURI = "ppds://sessions"
    static let attentionURI = "ppds://attention"
    static let sessionPrefix = "ppds://sessions/"

    static func list(_ context: ToolContext) -> [Resource] {
        var resources = [
            Resource(name: "sessions", uri: sessionsURI, description: "Every session of this repository with its git state, group and problems (the 'ppds status --json' document).", mimeType: "application/json"),
            Resource(name: "attention", uri: attentionURI, description: "The sessions waiting for a human: stuck questions and plans ready for review. Subscribe to hear when one arrives.", mimeType: "application/json"),
        ]
        for session in localSessions(context) {
            resources.append(Resource(name: session.issue.tag, uri: sessionPrefix + String(session.issue.value),
                                      description: "\(session.issue.tag) on \(session.branch): \(session.status.fileValue)",
                                      mimeType: "application/json"))
        }
        return resources
    }

    static func read(_ uri: String, context: ToolContext) throws -> OrderedJSON {
        switch uri {
        case sessionsURI:
            return try SessionTools.status.run(ToolArguments(nil), context).document
        case attentionURI:
            return attention(context)
        default:
            guard uri.hasPrefix(sessionPrefix), let issue = IssueNumber(parsing: String(uri.dropFirst(sessionPrefix.count))) else {
                throw PPDSError.notFound("no resource \(uri) (ppds://sessions, ppds://attention or ppds://sessions/<issue>)")
            }
            return .document("session", try SessionRead.view(issue, context: context).json)
        }
    }

    /// Stuck sessions not yet answered, and sessions whose plan waits for review.
    static func attention(_ context: ToolContext) -> OrderedJSON {
        let waiting = AnswerQueue.waiting(in: context.workspace, includeAnswered: false)
        let stuck = waiting.filter { $0.status == .stuck }
        let plans = waiting.filter(\.planWaitsForReview)
        var out = OrderedJSON.document("stuck", .array(stuck.map { SessionView.withAnswer($0).objectValue }))
        out["planReady"] = .array(plans.map { SessionView.withAnswer($0).objectValue })
        return out
    }

    static func localSessions(_ context: ToolContext) -> [Session] {
        context.store.list().sessions.filter { context.workspace.owns($0) }.sorted { $0.issue.value < $1.issue.value }
    }

    /// What the notifications compare: each session's file content, and who needs a human.
    struct Fingerprint: Equatable {
        var sessions: [Int: String] = [:]
        var attention: [String] = []

        init(_ context: ToolContext) {
            for session in localSessions(context) {
                sessions[session.issue.value] = JSONWriter.write(session.json, pretty: false)
            }
            attention = AnswerQueue.waiting(in: context.workspace, includeAnswered: false)
                .map { "\($0.issue.value) \($0.status.fileValue) \($0.latestPlan?.version ?? 0)" }
        }

        /// The URIs whose content changed from `old` to this, and whether the list changed.
        func changes(since old: Fingerprint) -> (updated: [String], listChanged: Bool) {
            var updated: [String] = []
            for issue in Set(sessions.keys).union(old.sessions.keys).sorted() where sessions[issue] != old.sessions[issue] {
                updated.append(sessionPrefix + String(issue))
            }
            if !updated.isEmpty { updated.insert(sessionsURI, at: 0) }
            if attention != old.attention { updated.append(attentionURI) }
            return (updated, Set(sessions.keys) != Set(old.sessions.keys))
        }
    }
}
