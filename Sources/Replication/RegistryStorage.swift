import Foundation
import GitKit
import SessionKit
import Support
import LifecycleCore

/// Where the replicated registry lives in the repository.
public enum RegistryRefs {
    public static let sessions = "refs/ppds/sessions/"
    public static let claims = "refs/ppds/claims/"

    public static func session(_ issue: IssueNumber) -> String { sessions + String(issue.value) }
    public static func claim(_ issue: IssueNumber) -> String { claims + String(issue.value) }

    /// Remote `remote`'s refs as last fetched: `refs/ppds-remote/<remote>/…`.
    public static func tracking(_ remote: String) -> String { "refs/ppds-remote/\(remote)/" }
    public static func tracking(_ remote: String, of ref: String) -> String {
        tracking(remote) + String(ref.dropFirst("refs/ppds/".count))
    }

    /// Every registry ref of the remote, force-updated into the tracking namespace (the remote
    /// is the truth there; our own refs under refs/ppds are never forced).
    public static func fetchRefspec(_ remote: String) -> String { "+refs/ppds/*:" + tracking(remote) + "*" }

    /// The issue a ref under `prefix` names: only the form ppds writes (`20`, not `020` or
    /// `+20`), so no two refs ever stand for one issue.
    package static func issue(of ref: String, under prefix: String) -> IssueNumber? {
        guard ref.hasPrefix(prefix) else { return nil }
        let suffix = ref.dropFirst(prefix.count)
        guard let issue = Int(suffix).flatMap(IssueNumber.init), String(issue.value) == suffix else { return nil }
        return issue
    }
}

/// One registry commit: the session's state (which merges) and the clock and machine that wrote it.
package struct RegistryEntry {
    let id: ObjectID
    package let replica: SessionReplica
    package let lamport: Int
    let machine: Machine?
    /// Who signed the commit and whether the signature holds (nil: unsigned, as before ppds signed).
    let signature: (signer: Signer, valid: Bool)?
    /// Its `changed` keys (what it did).
    let changed: [String]
    /// The machine that owns the session (its file's `machine` key).
    package var owner: Machine? { replica.fields[Machine.sessionKey].flatMap { Machine(json: $0.value) } }
}

/// Reads and writes registry commits: a tree with `session.json` (the file as ppds writes it)
/// and `meta.json` (`lamport`, `machine`, the keys `changed` since the first parent, and the
/// mergeable `state`).
package final class RegistryStorage {
    /// The meta.json `version` this ppds writes and the newest it reads.
    static let formatVersion: Int64 = 1

    let repository: Repository
    /// This machine's key: every commit written is signed with it (nil only for readers).
    let key: MachineKey?
    private var cache: [ObjectID: RegistryEntry] = [:]

    package init(repository: Repository, key: MachineKey? = nil) {
        self.repository = repository
        self.key = key
    }

    package func entry(_ id: ObjectID) throws(PPDSError) -> RegistryEntry {
        if let cached = cache[id] { return cached }
        let files = try PPDSError.wrapping { try repository.files(ofCommit: id) }
        guard let data = files["meta.json"], let meta = (try? JSONValue.parse(data))?.objectValue else {
            throw PPDSError.invalid("registry commit \(id.short) has no readable meta.json")
        }
        let machine = Machine(json: meta["machine"])
        // A newer ppds may write a state this one would misread: checked before anything else.
        if case .int(let version)? = meta["version"], version > Self.formatVersion {
            let writer = machine.map { "\($0.label) (\($0.id))" } ?? "another machine"
            throw PPDSError.refused("registry commit \(id.short), written by \(writer), is in registry format \(version); this ppds reads format \(Self.formatVersion) only. Upgrade ppds on this machine, then run 'ppds sync' again (nothing of this session was changed here)")
        }
        guard let stateJSON = meta["state"], let replica = SessionReplica(json: stateJSON), case .int(let lamport)? = meta["lamport"] else {
            throw PPDSError.invalid("registry commit \(id.short) has no readable meta.json")
        }
        let parents = try PPDSError.wrapping { try repository.parents(of: id) }.map(\.hex)
        let entry = RegistryEntry(id: id, replica: replica, lamport: Int(lamport), machine: machine,
                                  signature: RegistrySignature.check(files: files, parents: parents, named: machine),
                                  changed: (meta["changed"]?.arrayValue ?? []).compactMap(\.stringValue))
        cache[id] = entry
        return entry
    }

    /// Writes a commit for `replica`; `file` names the session in errors.
    func write(_ replica: SessionReplica, session: Session, parents: [ObjectID], lamport: Int, machine: Machine,
               changed: [String], now: Date) throws(PPDSError) -> ObjectID {
        let meta: JSONValue = .object([
            "version": .int(Self.formatVersion),
            "lamport": .int(Int64(lamport)),
            "machine": machine.json,
            "changed": .array(changed.sorted().map(JSONValue.string)),
            "state": replica.json,
        ])
        let message = "\(session.issue.tag) \(session.status.fileValue) (lamport \(lamport), \(machine.label))\n"
        var files = ["session.json": session.encoded(), "meta.json": Data((JSONWriter.write(meta) + "\n").utf8)]
        var signature: (signer: Signer, valid: Bool)?
        if let key {
            files[RegistrySignature.fileName] = RegistrySignature.make(SignedPayload.commit(parents: parents.map(\.hex), files: files), machine: machine, key: key)
            signature = (Signer(id: machine.id, label: machine.label, key: key.publicKey), true)
        }
        let id = try PPDSError.wrapping {
            try repository.writeCommit(files: files, parents: parents, message: message,
                                       author: (name: "ppds " + machine.label, email: machine.id + "@ppds.invalid"), time: now)
        }
        cache[id] = RegistryEntry(id: id, replica: replica, lamport: lamport, machine: machine, signature: signature, changed: changed.sorted())
        return id
    }
}

extension SessionReplica {
    /// The registers that differ from `base` (for meta.json's `changed`).
    func changedKeys(since base: SessionReplica) -> [String] {
        var keys = Set(fields.keys.filter { fields[$0] != base.fields[$0] })
        if worker != base.worker || paused != base.paused || terminal != base.terminal { keys.insert("status") }
        if guidance != base.guidance { keys.insert("guidance") }
        if lastUpdate != base.lastUpdate { keys.insert("lastUpdate") }
        return keys.sorted()
    }
}
