import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// Who holds an issue on the registry remote: `refs/ppds/claims/<issue>`, a root commit with
/// `claim.json` ({issue, machine, at}).
public struct ClaimRecord: Sendable, Equatable {
    public var issue: IssueNumber
    public var machine: Machine
    public var at: Date

    var json: JSONValue {
        .object(["issue": .string(issue.tag), "machine": machine.json, "at": .string(Timestamp.format(at))])
    }

    init(issue: IssueNumber, machine: Machine, at: Date) {
        self.issue = issue
        self.machine = machine
        self.at = at
    }

    init?(data: Data?) {
        guard let data, let object = (try? JSONValue.parse(data))?.objectValue,
              let issue = object["issue"]?.stringValue.flatMap(IssueNumber.init(parsing:)),
              let machine = Machine(json: object["machine"]) else { return nil }
        self.init(issue: issue, machine: machine, at: object["at"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0))
    }
}

/// What claiming did.
public enum ClaimOutcome: String, Sendable {
    /// The claim was created on the remote.
    case claimed
    /// This machine already held it.
    case alreadyOurs
    /// Another machine holds it, but this machine does not trust that claim (an untrusted or
    /// unverified machine): start-work goes on, without a claim of its own, and warns.
    case heldByUntrusted
}

/// Claims on the registry remote: `start-work` creates one before touching anything local, with
/// a create-only push (the remote refuses a second claim: it already has the ref, and a commit
/// from another root is not a fast-forward); `prune` and `cancel` release it.
public struct RegistryClaims {
    public let workspace: Workspace
    public let remote: String
    public let machine: Machine

    public init(workspace: Workspace, remote: String, machine: Machine) {
        self.workspace = workspace
        self.remote = remote
        self.machine = machine
    }

    /// Claims `issue`, or says who holds it (a `.conflict`: exit 2). A claim by a machine this
    /// one does not trust is reported, never obeyed: `.heldByUntrusted`, with the warning.
    public func claim(_ issue: IssueNumber, now: Date = Date()) throws(PPDSError) -> ClaimOutcome {
        try claimReporting(issue, now: now).outcome
    }

    public func claimReporting(_ issue: IssueNumber, now: Date = Date()) throws(PPDSError) -> (outcome: ClaimOutcome, warning: String?) {
        let repository = try workspace.openRepository()
        let ref = RegistryRefs.claim(issue)
        let record = ClaimRecord(issue: issue, machine: machine, at: now)
        let key = try MachineKey.load(home: workspace.store.home)
        var files = ["claim.json": Data((JSONWriter.write(record.json) + "\n").utf8)]
        files[RegistrySignature.fileName] = RegistrySignature.make(SignedPayload.commit(parents: [], files: files), machine: machine, key: key)
        let commit = try PPDSError.wrapping {
            try repository.writeCommit(files: files, parents: [],
                                       message: "claim \(issue.tag) for \(machine.label)\n",
                                       author: (name: "ppds " + machine.label, email: machine.id + "@ppds.invalid"), time: now)
        }
        try setLocal(ref, to: commit, repository)
        let outcome: RemoteRefOutcome
        do {
            outcome = try repository.pushReferences(remote: remote, [RemoteRefUpdate(name: ref, new: commit, expected: nil)])[ref] ?? .moved("no answer")
        } catch {
            try? clearLocal(ref, repository)
            throw PPDSError.failed("cannot claim \(issue.tag) on '\(remote)': \(error.message); nothing was created")
        }
        switch outcome {
        case .updated:
            try? repository.updateReference(RegistryRefs.tracking(remote, of: ref), to: commit,
                                            expecting: repository.referenceTarget(RegistryRefs.tracking(remote, of: ref)), message: "ppds claim")
            return (.claimed, nil)
        case .refused(let reason):
            try? clearLocal(ref, repository)
            throw PPDSError.failed("'\(remote)' refused the claim of \(issue.tag): \(reason); nothing was created")
        case .moved:
            try? clearLocal(ref, repository)
            guard let holder = try holder(of: issue, repository) else {
                throw PPDSError.conflict("\(issue.tag): the claim on '\(remote)' changed while claiming it; try again")
            }
            let trust = try MachineTrust.load(home: workspace.store.home, machine: machine)
            let verdict = trust.verdict(id: holder.record.machine.id, key: holder.signature?.signer.key, signatureValid: holder.signature?.valid ?? false)
            if verdict == .own || (holder.record.machine.id == machine.id && verdict == .unsigned) {
                try setLocal(ref, to: holder.commit, repository)
                return (.alreadyOurs, nil)
            }
            try? clearLocal(ref, repository)
            let who = Signer(id: holder.record.machine.id, label: holder.record.machine.label, key: holder.signature?.signer.key)
            guard verdict.acts else {
                try? MachineTrust.modify(home: workspace.store.home, machine: machine) {
                    $0.saw(who, at: holder.record.at, verdict: verdict, action: "claimed \(issue.tag)")
                }
                let how = verdict == .untrusted
                    ? "'ppds machines trust \(who.id)' honours its claims"
                    : "its claim is not signed by the key this machine knows for it"
                return (.heldByUntrusted, "\(issue.tag) is claimed by \(who.described) (\(verdict.word)) since \(Timestamp.format(holder.record.at)); not obeyed, started without a claim. \(how); 'git push \(remote) :\(ref)' removes the claim")
            }
            throw PPDSError.conflict("\(issue.tag) is claimed by \(holder.record.machine.label) (\(holder.record.machine.id)) since \(Timestamp.format(holder.record.at)); nothing was created")
        }
    }

    /// Releases this machine's claim of `issue`: deletes the remote ref only while it still
    /// points at our claim commit. Returns whether a claim was released.
    @discardableResult
    public func release(_ issue: IssueNumber) throws(PPDSError) -> Bool {
        let repository = try workspace.openRepository()
        let ref = RegistryRefs.claim(issue)
        guard let ours = repository.referenceTarget(ref) else { return false }
        let outcome: RemoteRefOutcome
        do {
            outcome = try repository.pushReferences(remote: remote, [RemoteRefUpdate(name: ref, new: nil, expected: ours)])[ref] ?? .moved("no answer")
        } catch {
            throw PPDSError.failed("cannot release the claim of \(issue.tag) on '\(remote)': \(error.message)")
        }
        switch outcome {
        case .updated, .moved:
            // Moved: the remote no longer holds our claim (released elsewhere, or someone else's now).
            try clearLocal(ref, repository)
            if let tracking = repository.referenceTarget(RegistryRefs.tracking(remote, of: ref)), tracking == ours {
                try? repository.deleteReference(RegistryRefs.tracking(remote, of: ref), expecting: ours)
            }
            return outcome == .updated
        case .refused(let reason):
            throw PPDSError.failed("'\(remote)' refused to release the claim of \(issue.tag): \(reason)")
        }
    }

    /// The claim the remote holds for `issue` (fetched now), or nil.
    func holder(of issue: IssueNumber, _ repository: Repository) throws(PPDSError) -> (commit: ObjectID, record: ClaimRecord, signature: (signer: Signer, valid: Bool)?)? {
        let ref = RegistryRefs.claim(issue)
        let tracking = RegistryRefs.tracking(remote, of: ref)
        let commit: ObjectID
        let files: [String: Data]
        if let path = (try? repository.remoteURL(remote)).flatMap(Repository.localRemotePath) {
            // A remote on this machine is read in place: no fetch racing other machines' pushes.
            let other = try PPDSError.wrapping { try Repository.open(at: path) }
            guard let id = other.referenceTarget(ref) else { return nil }
            commit = id
            files = try PPDSError.wrapping { try other.files(ofCommit: id) }
        } else {
            do {
                try repository.fetch(remote: remote, refspecs: ["+\(ref):\(tracking)"], prune: true)
            } catch {
                throw PPDSError.failed("cannot read the claim of \(issue.tag) on '\(remote)': \(error.message)")
            }
            guard let id = repository.referenceTarget(tracking) else { return nil }
            commit = id
            files = try PPDSError.wrapping { try repository.files(ofCommit: id) }
        }
        guard let record = ClaimRecord(data: files["claim.json"]) else {
            throw PPDSError.conflict("\(issue.tag) is claimed on '\(remote)' by an unreadable claim (\(commit.short))")
        }
        // A claim is a root commit: signed over no parents. One with parents is not a claim ppds made.
        let signature = RegistrySignature.check(files: files, parents: [], named: record.machine)
        return (commit, record, signature)
    }

    /// Every claim as last fetched (by `sync`), by issue.
    public static func fetchedClaims(_ repository: Repository, remote: String) -> [IssueNumber: ClaimRecord] {
        let prefix = RegistryRefs.tracking(remote, of: RegistryRefs.claims)
        var out: [IssueNumber: ClaimRecord] = [:]
        for (name, id) in (try? repository.references(under: prefix)) ?? [:] {
            guard let issue = RegistryRefs.issue(of: name, under: prefix),
                  let record = ClaimRecord(data: try? repository.files(ofCommit: id)["claim.json"]) else { continue }
            out[issue] = record
        }
        return out
    }

    private func setLocal(_ ref: String, to commit: ObjectID, _ repository: Repository) throws(PPDSError) {
        try PPDSError.wrapping { try repository.updateReference(ref, to: commit, expecting: repository.referenceTarget(ref), message: "ppds claim") }
    }

    private func clearLocal(_ ref: String, _ repository: Repository) throws(PPDSError) {
        guard let current = repository.referenceTarget(ref) else { return }
        try PPDSError.wrapping { try repository.deleteReference(ref, expecting: current) }
    }
}

extension RegistryClaims {
    /// After `prune` removed sessions or `cancel` finished one: gives back this machine's claims
    /// of `issues` when a registry remote is configured. Failures are warnings (the session
    /// is already finished; `doctor` reports a claim without a session).
    public static func release(_ issues: [IssueNumber], workspace: Workspace, config: Config) -> [String] {
        guard let remote = config.registryRemote, !issues.isEmpty,
              let machine = try? Machine.current(home: workspace.store.home) else { return [] }
        let claims = RegistryClaims(workspace: workspace, remote: remote, machine: machine)
        var warnings: [String] = []
        for issue in issues {
            do { try claims.release(issue) } catch { warnings.append(error.message) }
        }
        return warnings
    }
}
