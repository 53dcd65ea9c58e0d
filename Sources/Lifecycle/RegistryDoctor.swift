import Foundation
import GitKit
import SessionKit
import Support

extension Doctor {
    /// The registry against the local files, for every remote this repository synced with:
    /// sessions changed or committed but not pushed, histories that diverged, an issue that
    /// another machine runs too, and this machine's claims whose session is gone.
    func registryProblems(_ repository: Repository, sessions: [Session]) -> [DoctorProblem] {
        guard let tracking = try? repository.references(under: "refs/ppds-remote/"), !tracking.isEmpty
                || !((try? repository.references(under: "refs/ppds/")) ?? [:]).isEmpty else { return [] }
        let remotes = Set(tracking.keys.compactMap { $0.dropFirst("refs/ppds-remote/".count).split(separator: "/").first.map(String.init) })
        let local = (try? repository.references(under: RegistryRefs.sessions)) ?? [:]
        let me = try? Machine.current(home: workspace.store.home)
        let storage = RegistryStorage(repository: repository)
        let byIssue = Dictionary(sessions.map { ($0.issue, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [DoctorProblem] = []
        let vetting = me.flatMap { try? MachineTrust.load(home: workspace.store.home, machine: $0) }.map(Vetting.init)
        for remote in remotes.sorted() {
            let prefix = RegistryRefs.tracking(remote, of: RegistryRefs.sessions)
            // Commits the remote holds that sync refuses: a signature that does not match the machine named.
            if let vetting {
                for (name, id) in tracking.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
                    guard let issue = RegistryRefs.issue(of: name, under: prefix) else { continue }
                    let ours = local[RegistryRefs.session(issue)]
                    guard ours != id, let refusal = try? vetting.vet(issue, from: id, excluding: ours, repository, storage) else { continue }
                    problems.append(DoctorProblem(kind: .registryRefused, issue: issue, message: refusal, fixable: false))
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
                        problems.append(DoctorProblem(kind: .registryDiverged, issue: issue, message: "this machine's history and '\(remote)'s diverged; 'ppds sync' merges them", fixable: false))
                        continue
                    }
                    if ahead {
                        problems.append(DoctorProblem(kind: .registryNotPushed, issue: issue, message: "committed here but not pushed to '\(remote)'; run 'ppds sync'", fixable: false))
                        continue
                    }
                } else if theirs == nil {
                    problems.append(DoctorProblem(kind: .registryNotPushed, issue: issue, message: "never pushed to '\(remote)'; run 'ppds sync'", fixable: false))
                    continue
                }
                if let entry = try? storage.entry(ours), let synced = try? entry.replica.session(file: "registry"),
                   entry.replica.recording(session, at: Stamp(lamport: entry.lamport + 1, machine: me?.id ?? "")) != entry.replica,
                   synced != session {
                    problems.append(DoctorProblem(kind: .registryNotPushed, issue: issue, file: workspace.store.path(for: issue),
                                                  message: "the session changed since the last 'ppds sync' with '\(remote)'", fixable: false))
                }
            }
            for (name, id) in tracking where name.hasPrefix(prefix) {
                guard let issue = RegistryRefs.issue(of: name, under: prefix), let session = byIssue[issue], let me,
                      let owner = (try? storage.entry(id))?.owner, owner.id != me.id,
                      session.machine?.id ?? me.id == me.id else { continue }
                problems.append(DoctorProblem(kind: .registryConflict, issue: issue,
                                              message: "runs here and on \(owner.label) (\(owner.id)); sync keeps the local session and does not replicate it. Work on it on one machine and end it on the other ('ppds cancel \(issue.value)'): claims (registry.remote) prevent this only for sessions started after it was set", fixable: false))
            }
            if let me {
                for (issue, claim) in RegistryClaims.fetchedClaims(repository, remote: remote) where claim.machine.id == me.id && byIssue[issue] == nil {
                    problems.append(DoctorProblem(kind: .claimWithoutSession, issue: issue,
                                                  message: "is claimed on '\(remote)' by this machine but has no session here; no other machine can start it. 'git push \(remote) :\(RegistryRefs.claim(issue))' releases it", fixable: false))
                }
            }
        }
        return problems
    }
}
