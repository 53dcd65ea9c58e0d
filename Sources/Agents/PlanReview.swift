import Foundation
import SessionKit
import Support
#if canImport(Glibc)
import Glibc
import LifecycleCore
#endif

/// Plan review at planning_complete, the operations the CLI (`update --plan`, `plan`,
/// `approve`, `revise`), the HTTP API and the Claude Code hook share. The rules live in
/// `Session.attachPlan` / `answerPlan` (SessionKit); here: where the plan comes from, who
/// answers, and one locked change each.
public enum PlanReview {
    /// What `approve` or `revise` did.
    public struct Answered: Sendable {
        public let session: Session
        /// The version that was answered.
        public let version: PlanVersion
        public let answer: PlanAnswer

        public var json: OrderedJSON {
            var out = OrderedJSON()
            out["version"] = .int(1)
            out["issue"] = .string(session.issue.tag)
            out["status"] = .string(session.status.fileValue)
            out["verdict"] = .string(answer.verdict.rawValue)
            out["planVersion"] = .int(Int64(version.version))
            out["answer"] = answer.json
            return out
        }
    }

    /// A worker attaches `text` as its plan: the next version, the session at planning_complete.
    public static func submit(_ text: String, to issue: IssueNumber, in store: SessionStore, workspace: Workspace?,
                              force: Bool, now: Date? = nil) throws(PPDSError) -> Session {
        try SessionChanges.apply(.submitPlan(text: text, force: force), to: issue, in: store, workspace: workspace, now: now)
    }

    /// A human approves the latest plan, or sends it back (`revise`, with what to change). With
    /// `version`, the answer is refused when the worker has attached a newer plan meanwhile.
    public static func answer(_ verdict: PlanAnswer.Verdict, message: String?, version: Int?, issue: IssueNumber,
                              in store: SessionStore, workspace: Workspace?, by reviewer: PlanReviewer,
                              now: Date? = nil) throws(PPDSError) -> Answered {
        let session = try SessionChanges.apply(.answerPlan(verdict, message: message, version: version, by: reviewer),
                                               to: issue, in: store, workspace: workspace, now: now)
        // The change appended the answer to the latest version; it is what the file now holds.
        guard let latest = session.latestPlan, let answer = latest.answer else {
            throw PPDSError.failed("\(issue.tag): the answer was not recorded")
        }
        return Answered(session: session, version: latest, answer: answer)
    }

    /// The person answering: this machine (its id and label) and the login user.
    public static func reviewer(home: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> PlanReviewer {
        let machine = try? Machine.current(home: home, environment: environment)
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LOGNAME"].flatMap { $0.isEmpty ? nil : $0 }
        return PlanReviewer(machine: machine?.id, label: machine?.label, user: user.map { String($0.prefix(64)) })
    }

    /// `ppds plan --json`'s document: the latest version (and with `history` every version),
    /// with the session's status and the plan's summary.
    public static func document(_ session: Session, history: Bool) throws(PPDSError) -> OrderedJSON {
        guard let latest = session.latestPlan else {
            throw PPDSError.notFound("\(session.issue.tag) has no plan attached (it is \(session.status.fileValue)); a worker attaches one with 'ppds update --status planning_complete --plan FILE'")
        }
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["issue"] = .string(session.issue.tag)
        out["status"] = .string(session.status.fileValue)
        out["summary"] = session.planSummary?.json ?? .null
        out["plan"] = latest.json
        if history { out["history"] = .array(session.plans.map(\.json)) }
        return out
    }

    /// The session whose plan `ppds plan` shows: this machine's, or another machine's synced copy.
    public static func session(_ issue: IssueNumber, in store: SessionStore, workspace: Workspace?) throws(PPDSError) -> Session {
        try SessionChanges.reachable(issue, in: store, workspace: workspace)
    }
}

/// Where a plan comes from: a file the worker names, or stdin (`--plan -`). Read with a bound
/// (`PlanVersion.maxBytes`): never more than one byte past it, and anything larger is refused
/// with the limit named.
public enum PlanInput {
    public static func read(_ source: String, standardInput: Int32 = STDIN_FILENO) throws(PPDSError) -> String {
        let limit = PlanVersion.maxBytes
        let name = source == "-" ? "the plan on stdin" : "the plan file \(source)"
        let data: Data
        if source == "-" {
            data = try readBounded(standardInput, limit: limit, name: name)
        } else {
            let fd = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
            guard fd >= 0 else { throw PPDSError.notFound("\(name) cannot be read: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw PPDSError.usage("\(name) is not a regular file; pass a file, or '-' to read the plan from stdin")
            }
            guard info.st_size <= limit else { throw tooLarge(name, "\(info.st_size) bytes") }
            data = try readBounded(fd, limit: limit, name: name)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PPDSError.usage("\(name) is not UTF-8 text")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PPDSError.usage("\(name) is empty")
        }
        return text
    }

    static func tooLarge(_ name: String, _ size: String) -> PPDSError {
        PPDSError.usage("\(name) is \(size); a plan may have at most \(PlanVersion.maxBytes) bytes (shorten it, or link to a longer document in it)")
    }

    /// Reads up to `limit + 1` bytes and refuses when there was more than `limit` (nothing past
    /// that is read: an endless pipe cannot hold the command).
    static func readBounded(_ fd: Int32, limit: Int, name: String) throws(PPDSError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(fd, &buffer, min(buffer.count, limit + 1 - data.count))
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    // A FIFO opened non-blocking with no writer yet: wait for it.
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&poller, 1, 1000)
                    continue
                }
                throw PPDSError.io("\(name) cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<min(count, limit + 1 - data.count)])
            if data.count > limit { throw tooLarge(name, "more than \(limit) bytes") }
        }
        return data
    }
}
