import Foundation
import GitKit
import SessionKit
import Support
import LifecycleCore
import Replication

extension Doctor {
    /// The registry against the local files, for every remote this repository synced with:
    /// sessions changed or committed but not pushed, histories that diverged, an issue that
    /// another machine runs too, and this machine's claims whose session is gone. What each
    /// finding says is View's (`ProblemText`).
    static func registryFindings(_ repository: Repository, workspace: Workspace, sessions: [Session]) -> [Problem.RegistryFinding] {
        guard let tracking = try? repository.references(under: "refs/ppds-remote/"), !tracking.isEmpty
                || !((try? repository.references(under: "refs/ppds/")) ?? [:]).isEmpty else { return [] }
        let remotes = Set(tracking.keys.compactMap { $0.dropFirst("refs/ppds-remote/".count).split(separator: "/").first.map(String.init) })
        let local = (try? repository.references(under: RegistryRefs.sessions)) ?? [:]
        let me = try? Machine.current(home: workspace.store.home)
        let storage = RegistryStorage(repository: repository)
        let byIssue = Dictionary(sessions.map { ($0.issue, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [Problem.RegistryFinding] = []
        let vetting = me.flatMap { try? MachineTrust.load(home: workspace.store.home, machine: $0) }.map(Vetting.init)
        for remote in remotes.sorted() {
            let prefix = RegistryRefs.tracking(remote, of: RegistryRefs.sessions)
            // Commits the remote holds that sync refuses: a signature that does not match the machine named.
            if let vetting {
                for (name, id) in tracking.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
                    guard let issue = RegistryRefs.issue(of: name, under: prefix) else { continue }
                    let ours = local[RegistryRefs.session(issue)]
                    guard ours != id, let refusal = try? vetting.vet(issue, from: id, excluding: ours, repository, storage) else { continue }
                    problems.append(.refused(issue, reason: refusal))
                }
            }
            for issue in Set(local.keys.compactMap { RegistryRefs.issue(of: $0, under: RegistryRefs.sessions) }).sorted() {
                guard let session = byIssue[issue] else { continue }
                let ours = local[RegistryRefs.session(issue)]!
                let theirs = tracking[prefix + String(issue.value)]
                if let theirs, theirs != ours {
                    let ahead = (try? repository.isAncestor(theirs, of: ours)) ?? false
                    let behind = (try? repository.isAncestor(ours, of: theirs)) ?? false
                    if !ahead && !behind {
                        problems.append(.diverged(issue, remote: remote))
                        continue
                    }
                    if ahead {
                        problems.append(.notPushed(issue, remote: remote, .ahead))
                        continue
                    }
                } else if theirs == nil {
                    problems.append(.notPushed(issue, remote: remote, .neverPushed))
                    continue
                }
                if let entry = try? storage.entry(ours), let synced = try? entry.replica.session(file: "registry"),
                   entry.replica.recording(session, at: Stamp(lamport: entry.lamport + 1, machine: me?.id ?? "")) != entry.replica,
                   synced != session {
                    problems.append(.notPushed(issue, remote: remote, .changedSinceSync(file: workspace.store.path(for: issue))))
                }
            }
            for (name, id) in tracking where name.hasPrefix(prefix) {
                guard let issue = RegistryRefs.issue(of: name, under: prefix), let session = byIssue[issue], let me,
                      let owner = (try? storage.entry(id))?.owner, owner.id != me.id,
                      session.machine?.id ?? me.id == me.id else { continue }
                problems.append(.conflict(issue, ownerLabel: owner.label, ownerID: owner.id))
            }
            if let me {
                for (issue, claim) in RegistryClaims.fetchedClaims(repository, remote: remote) where claim.machine.id == me.id && byIssue[issue] == nil {
                    problems.append(.claimWithoutSession(issue, remote: remote))
                }
            }
        }
        return problems
    }
}
