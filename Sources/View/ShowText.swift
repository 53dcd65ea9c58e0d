import Foundation
import GitKit
import Lifecycle
import SessionKit
import Support

/// One session for people: `ppds show`.
public enum ShowText {
    /// `gitFacts: false` for another machine's session: its branch and folder are there, not here.
    public static func render(_ view: SessionView, now: Date = Date(), gitFacts: Bool = true) -> String {
        let session = view.session, git = view.git
        let safe = { (text: String) in TerminalText.escaped(text) }  // untrusted fields, made safe to print
        var lines = ["\(session.issue.tag) \(safe(session.title ?? ""))".trimmingCharacters(in: .whitespaces)]
        lines.append("  status:    \(safe(session.status.fileValue))" + (session.pausedFrom.map { " (from \(safe($0.fileValue)))" } ?? ""))
        lines.append("  branch:    \(safe(session.branch))" + (git.branchExists || !gitFacts ? "" : " (missing)"))
        lines.append("  worktree:  \(safe(session.worktree))" + (git.worktreeExists || !gitFacts ? "" : " (missing)"))
        if let base = session.base { lines.append("  base:      \(safe(base))" + (session.baseCommit.map { " at \(safe(String($0.prefix(7))))" } ?? "")) }
        if let ahead = git.ahead, let behind = git.behind { lines.append("  ahead:     \(ahead), behind \(behind)") }
        if let dirty = git.dirty { lines.append("  changes:   \(dirty.summary)") }
        if git.hasOwnCommits == false {
            lines.append("  commits:   none of its own yet")
        } else if let merged = git.merged {
            lines.append("  merged:    yes, \(merged.spoken)")
        }
        if let pr = session.pr { lines.append("  pr:        \(safe(pr))") }
        if let record = session.agent, let agent = AgentText.describe(view.agent, now: now) {
            lines.append("  agent:     \(safe(record.name)) \(safe(agent))" + (record.tmux.map { " in tmux \(safe($0.session)):\(safe($0.window))" } ?? ""))
            if let log = record.log { lines.append("    log:     \(safe(log))") }
        }
        if let ports = session.ports {
            lines.append("  ports:     \(ports.first)–\(ports.range.upperBound) (PPDS_PORT=\(ports.first))")
        }
        if let pr = view.pullRequest {
            lines.append("  forge:     " + PullRequestText.describe(pr, mergedInGit: git.merged != nil) + PullRequestText.age(pr, now: now))
        }
        lines.append("  started:   \(Timestamp.format(session.started)) (\(HumanDuration.describe(now.timeIntervalSince(session.started))) ago)")
        lines.append("  updated:   \(Timestamp.format(session.lastUpdate)) (\(HumanDuration.describe(now.timeIntervalSince(session.lastUpdate))) ago)")
        if let stuck = session.stuck {
            lines.append("  stuck:     \"\(safe(stuck.reason))\" since \(Timestamp.format(stuck.since))")
            if let context = stuck.context { lines.append("    context: \(safe(context))") }
            if !stuck.options.isEmpty { lines.append("    options: \(stuck.options.map { safe($0) }.joined(separator: ", "))") }
            if let answer = session.stuckAnswer { lines.append("    answer:  \(AnswerText.describe(answer, now: now))") }
        }
        if let plan = session.planSummary { lines.append("  plan:      " + PlanText.summaryLine(plan, now: now) + " ('ppds plan \(session.issue.value)' reads it)") }
        if !session.guidance.isEmpty {
            lines.append("  guidance:")
            for item in session.guidance {
                let read = item.delivered.map { "read \(AnswerText.ago($0, now))" } ?? "not yet read"
                let from = view.origins[item.id].map { origin in
                    " — " + safe(origin.described) + (origin.verdict.acts ? "" : ", never relayed to the worker; resend it with 'ppds guide' to relay it")
                } ?? ""
                lines.append("    [\(Timestamp.format(item.at))] \(safe(item.message)) (\(read))\(from)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
