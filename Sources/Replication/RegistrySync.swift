import Foundation
import Config
import GitKit
import SessionKit
import Support
import LifecycleCore

/// What sync did to one session.
public struct SessionSyncResult: Sendable {
    public enum Outcome: String, Sendable {
        /// Nothing changed here or on the remote.
        case unchanged
        /// The local file changed: a commit recorded it.
        case recorded
        /// The remote had newer commits; the file now has them.
        case fastForwarded
        /// Both sides changed: a merge commit joined them and the file has the result.
        case merged
        /// Another machine's session, copied into the mirror folder for the first time.
        case mirrored
        /// The same issue has a session on this machine and on another (no claims configured):
        /// the local session is kept and not replicated.
        case conflict
        /// The session's file is unreadable or its commits are; nothing was changed.
        case failed
        /// The owner pruned the session: this machine's copy was removed (or, on the owner, the
        /// registry now says so).
        case ended
        /// The remote's history holds a commit whose signature does not match the machine it
        /// names (a forgery, or a machine whose new key is not trusted yet): none of it was
        /// taken in, and this machine's commits for the session wait.
        case refused
    }

    public var issue: IssueNumber
    public var outcome: Outcome
    /// The machine the session belongs to.
    public var machine: Machine?
    /// Whether this machine's commits for it were pushed in this sync.
    public var pushed = false
    public var message: String?

    public var json: JSONValue {
        var out: [String: JSONValue] = ["issue": .string(issue.tag), "outcome": .string(outcome.rawValue), "pushed": .bool(pushed)]
        out["machine"] = machine?.json ?? .null
        out["message"] = message.map(JSONValue.string) ?? .null
        return .object(out)
    }
}

/// What one `ppds sync` did.
public struct SyncReport: Sendable {
    public var remote: String
    public var machine: Machine
    public var sessions: [SessionSyncResult] = []
    /// Fetch-merge-push rounds (more than one when another machine pushed meanwhile).
    public var rounds = 0
    public var fetchedObjects = 0
    public var pushedRefs = 0
    /// Pushes the remote refused for a reason other than a race (a hook, permissions).
    public var refusals: [String] = []

    public var conflicts: [SessionSyncResult] { sessions.filter { $0.outcome == .conflict } }
    public var refused: [SessionSyncResult] { sessions.filter { $0.outcome == .refused } }
    public var failures: [SessionSyncResult] { sessions.filter { $0.outcome == .failed } }

    public var json: OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["remote"] = .string(remote)
        out["machine"] = machine.json
        out["rounds"] = .int(Int64(rounds))
        out["fetchedObjects"] = .int(Int64(fetchedObjects))
        out["pushedRefs"] = .int(Int64(pushedRefs))
        out["refusals"] = .array(refusals.map(JSONValue.string))
        out["sessions"] = .array(sessions.map(\.json))
        return out
    }
}

/// `ppds sync`: replicates this repository's sessions through a git remote.
///
/// 1. fetch `refs/ppds/*` into `refs/ppds-remote/<remote>/*` (one round trip; nothing is
///    transferred when nothing changed);
/// 2. per session, under its lock: gather the facts (`gather`), let `SessionSyncPlanner` plan
///    the steps (its numbered cases: record the local file's changes as a commit with Lamport
///    clock = the highest seen + 1, fast-forward or merge with the remote's commits, ...), then
///    apply them: the commits, the file, then `refs/ppds/sessions/<issue>` (compare-and-swap);
/// 3. push every session ref the remote lacks, never forced; a ref someone else moved
///    meanwhile is rejected, and the whole round runs again (at most `maxRounds` times).
///
/// This machine's sessions stay in `$PPDS_HOME/sessions`; other machines' go to the mirror
/// folder (`Workspace.mirrorStore`), so no local verb ever acts on them.
public struct RegistrySync {
    public let workspace: Workspace
    public let remote: String
    public let machine: Machine
    public var now: () -> Date = { Date() }
    public static let maxRounds = 8

    public init(workspace: Workspace, remote: String, machine: Machine) {
        self.workspace = workspace
        self.remote = remote
        self.machine = machine
    }

    /// The remote named by `--remote`, else `registry.remote`, else `origin`.
    public static func remoteName(given: String?, config: Config) -> String { given ?? config.registryRemote ?? "origin" }

    /// One sync at a time per repository on this machine (`wait --sync-interval` and a manual
    /// `ppds sync` may overlap): a second one waits, then finds little to do. Without it both
    /// moved the same local refs and one reported sessions as failed.
    public func run() throws(PPDSError) -> SyncReport {
        let folder = workspace.mirrorStore.home
        do {
            try PrivateFile.ensureFolder(folder, home: workspace.store.home)
        } catch {
            throw PPDSError.io("\(error.path): \(error.message)")
        }
        return try PPDSError.wrapping { try FileLock.withLock(folder + "/sync.lock") { try runLocked() } }
    }

    func runLocked() throws(PPDSError) -> SyncReport {
        let repository = try workspace.openRepository()
        let url: String
        do { url = try repository.remoteURL(remote) } catch {
            throw PPDSError.notFound("\(workspace.repoRoot) has no remote '\(remote)'; add one ('git remote add \(remote) URL') or set registry.remote")
        }
        let key = try MachineKey.load(home: workspace.store.home)
        let storage = RegistryStorage(repository: repository, key: key)
        let vetting = Vetting(trust: try MachineTrust.load(home: workspace.store.home, machine: machine))
        defer { vetting.save(home: workspace.store.home, machine: machine) }
        var report = SyncReport(remote: remote, machine: machine)
        while true {
            report.rounds += 1
            do {
                let stats = try repository.fetch(remote: remote, refspecs: [RegistryRefs.fetchRefspec(remote)], prune: true)
                report.fetchedObjects += stats.receivedObjects
            } catch {
                throw PPDSError.failed("cannot fetch the registry from '\(remote)' (\(url)): \(error.message); local sessions are unchanged")
            }
            try FaultInjection.checkpoint("syncAfterFetch")
            // A later round keeps what an earlier one did to a session (it finds it unchanged).
            let earlier = Dictionary(report.sessions.map { ($0.issue, $0) }, uniquingKeysWith: { first, _ in first })
            report.sessions = try reconcile(repository, storage, vetting).map { result in
                guard result.outcome == .unchanged, let before = earlier[result.issue] else { return result }
                return before
            }
            let skipped = Set(report.sessions.filter { $0.outcome == .conflict || $0.outcome == .failed || $0.outcome == .refused }.map(\.issue))
            let local = try PPDSError.wrapping { try repository.references(under: RegistryRefs.sessions) }
            let tracking = try PPDSError.wrapping { try repository.references(under: RegistryRefs.tracking(remote, of: RegistryRefs.sessions)) }
            var updates: [RemoteRefUpdate] = []
            for (name, id) in local.sorted(by: { $0.key < $1.key }) {
                guard let issue = RegistryRefs.issue(of: name, under: RegistryRefs.sessions), !skipped.contains(issue) else { continue }
                let remoteID = tracking[RegistryRefs.tracking(remote, of: name)]
                // Only a ref ahead of the remote's is pushed; a diverged one waits for the next round's merge.
                if remoteID == id { continue }
                if let remoteID, !(try PPDSError.wrapping { try repository.isAncestor(remoteID, of: id) }) { continue }
                updates.append(RemoteRefUpdate(name: name, new: id, expected: remoteID))
            }
            if updates.isEmpty { return finish(report, repository) }
            try FaultInjection.checkpoint("syncBeforePush")
            let outcomes: [String: RemoteRefOutcome]
            do {
                outcomes = try repository.pushReferences(remote: remote, updates)
            } catch {
                throw PPDSError.failed("cannot push the registry to '\(remote)' (\(url)): \(error.message); is the remote read-only? Local sessions are up to date")
            }
            var moved: String?
            report.refusals = []
            for update in updates {
                switch outcomes[update.name] ?? .moved("no answer") {
                case .updated:
                    report.pushedRefs += 1
                    if let new = update.new {
                        let trackingName = RegistryRefs.tracking(remote, of: update.name)
                        // The tracking ref follows what the remote now holds (ours to overwrite).
                        try? repository.updateReference(trackingName, to: new, expecting: tracking[trackingName], message: "ppds sync: pushed")
                    }
                    if let issue = RegistryRefs.issue(of: update.name, under: RegistryRefs.sessions),
                       let index = report.sessions.firstIndex(where: { $0.issue == issue }) {
                        report.sessions[index].pushed = true
                    }
                case .moved(let reason): moved = "\(update.name): \(reason)"
                case .refused(let reason): report.refusals.append("\(update.name): \(reason)")
                }
            }
            try FaultInjection.checkpoint("syncAfterPush")
            if !report.refusals.isEmpty {
                throw PPDSError.failed("'\(remote)' (\(url)) refused the registry push: \(report.refusals.joined(separator: "; ")); is the remote read-only? Local sessions are up to date")
            }
            guard let moved else { return finish(report, repository) }
            if report.rounds >= Self.maxRounds {
                throw PPDSError.failed("'\(remote)' rejected the push in each of \(Self.maxRounds) rounds (last: \(moved)); another machine kept pushing, or the remote refuses updates; run 'ppds sync' again")
            }
            // Machines that lost the same race back off by different amounts, so they stop colliding.
            usleep(UInt32.random(in: 20_000...120_000) * UInt32(report.rounds))
        }
    }

    /// Packs the registry's refs once many are loose: a fetch of 1,000 sessions leaves 1,000
    /// files that every later sync would read one by one (measured: 110 ms → 70 ms per sync).
    func finish(_ report: SyncReport, _ repository: Repository) -> SyncReport {
        if repository.looseReferenceCount(under: "refs/ppds-remote") + repository.looseReferenceCount(under: "refs/ppds") > 128 {
            try? repository.packReferences()
        }
        return report
    }

    /// Step 2 for every session known locally, in the mirror or on the remote. A session whose
    /// refs and files did not move since the last sync is skipped unread (`RegistrySyncCache`).
    func reconcile(_ repository: Repository, _ storage: RegistryStorage, _ vetting: Vetting) throws(PPDSError) -> [SessionSyncResult] {
        let local = try PPDSError.wrapping { try repository.references(under: RegistryRefs.sessions) }
        let trackingPrefix = RegistryRefs.tracking(remote, of: RegistryRefs.sessions)
        let tracking = try PPDSError.wrapping { try repository.references(under: trackingPrefix) }
        let mirror = workspace.mirrorStore
        let ownFolder = workspace.store.sessionsDir + "/" + SessionStore.folderKey(forRepo: workspace.repoRoot)
        var names: [String] = workspace.store.sessionFileNames()
        names += SessionStore.sessionFileNames(in: ownFolder)
        names += mirror.sessionFileNames()
        var issues = Set(names.compactMap { IssueNumber(parsing: String($0.dropLast(".json".count))) })
        var localByIssue: [Int: ObjectID] = [:], trackingByIssue: [Int: ObjectID] = [:]
        for (name, id) in local { if let issue = RegistryRefs.issue(of: name, under: RegistryRefs.sessions) { localByIssue[issue.value] = id } }
        for (name, id) in tracking { if let issue = RegistryRefs.issue(of: name, under: trackingPrefix) { trackingByIssue[issue.value] = id } }
        issues.formUnion(localByIssue.keys.compactMap(IssueNumber.init))
        issues.formUnion(trackingByIssue.keys.compactMap(IssueNumber.init))
        let cache = RegistrySyncCache.load(workspace, remote: remote)
        let probe = RegistrySyncCache.FileProbe(workspace)
        var next = RegistrySyncCache(remote: remote)
        var results: [SessionSyncResult] = []
        results.reserveCapacity(issues.count)
        for issue in issues.sorted() {
            let localID = localByIssue[issue.value]
            let remoteID = trackingByIssue[issue.value]
            let files = probe.files(of: issue)
            if let entry = cache.entries[issue.value], localID == remoteID, entry.ref == (localID?.hex ?? "-"), entry.files == files {
                next.entries[issue.value] = entry
                results.append(SessionSyncResult(issue: issue, outcome: .unchanged))
                continue
            }
            let result: SessionSyncResult
            do {
                if let session = try? workspace.store.loadIfPresent(issue), workspace.owns(session) {
                    result = try PPDSError.wrapping {
                        try workspace.store.withLock(issue) {
                            try sync(issue, store: workspace.store, isOwn: true, localID: localID, remoteID: remoteID, repository, storage, vetting)
                        }
                    }
                } else {
                    result = try PPDSError.wrapping {
                        try mirror.withLock(issue) {
                            try sync(issue, store: mirror, isOwn: false, localID: localID, remoteID: remoteID, repository, storage, vetting)
                        }
                    }
                }
            } catch {
                result = SessionSyncResult(issue: issue, outcome: .failed, message: error.message)
            }
            results.append(result)
            if result.outcome != .failed && result.outcome != .conflict && result.outcome != .refused {
                next.entries[issue.value] = .init(ref: repository.referenceTarget(RegistryRefs.session(issue))?.hex ?? "-",
                                                  files: probe.files(of: issue))
            }
        }
        if next.entries != cache.entries { next.save(workspace) }
        return results
    }

    /// Set in the registry (not in any local file) when the owner pruned a finished session.
    public static let prunedKey = "prunedAt"

    /// `merged` with the keys that say where the session's work is (and whether its folder is
    /// gone) taken from `local`.
    static func keepingLocation(of local: Session, in merged: Session) -> Session {
        var out = merged
        out.branch = local.branch
        out.worktree = local.worktree
        out.repo = local.repo
        out.base = local.base
        out.baseCommit = local.baseCommit
        out.started = local.started
        if let machine = local.machine { out.machine = machine }
        // Doctor's finding that this machine's folder is really gone: a local fact, which
        // switches off prune's guard against an unmounted disk.
        out.extra[Session.worktreeGoneKey] = local.extra[Session.worktreeGoneKey]
        // The agent process and the port block are this machine's facts too: a pid or a port
        // from another machine's commit means nothing here.
        out.agent = local.agent
        out.ports = local.ports
        // Guidance is read only where the worker runs: a `delivered` mark from elsewhere (a
        // buggy ppds, a hand-made commit) would hide the message from the worker for good.
        let readHere = Dictionary(local.guidance.map { ($0.id, $0.delivered) }, uniquingKeysWith: { first, _ in first })
        out.guidance = keepingGuidance(of: local, in: merged).guidance.map { item in
            var item = item
            item.delivered = readHere[item.id] ?? nil
            return item
        }
        return out
    }

    /// `merged` with every guidance message of `local` it lacks. Guidance is only ever added;
    /// a state that wins whole (a later epoch, genuine or made up) must not drop a message
    /// from the file before anyone read it. The next sync records it into the registry again.
    static func keepingGuidance(of local: Session, in merged: Session) -> Session {
        let known = Set(merged.guidance.map(\.id))
        let missing = local.guidance.filter { !known.contains($0.id) }
        guard !missing.isEmpty else { return merged }
        var out = merged
        out.guidance = (merged.guidance + missing).enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return out
    }

    /// `session` as written to this machine's file: a message the file had keeps its words and
    /// sender as the file had them (a commit from elsewhere reusing its id changes nothing), and
    /// one that came from the registry without a sender's signature is marked unsigned, so it
    /// is never taken for guidance written here (which has no `from`).
    static func markingForeignGuidance(_ session: Session, local: Session?, replica: SessionReplica) -> Session {
        let known = Dictionary((local?.guidance ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var out = session
        out.guidance = session.guidance.map { item in
            if var mine = known[item.id] {
                mine.delivered = item.delivered
                return mine
            }
            guard item.extra[GuidanceOrigin.key] == nil else { return item }
            return GuidanceOrigin.markingUnsigned(item, machine: replica.guidance[item.id]?.added.machine)
        }
        return out
    }

    /// The session `replica` stands for, which must be `issue`'s: a commit under one issue's
    /// ref whose `issue` (or `id`) names another would otherwise be written over that other
    /// session's file.
    static func render(_ replica: SessionReplica, _ issue: IssueNumber, file: String) throws -> Session {
        let session = try replica.session(file: file)
        guard session.issue == issue else {
            throw PPDSError.invalid("\(file): the registry's commits for \(issue.tag) describe \(session.issue.tag); nothing was changed")
        }
        return session
    }

    /// One session, holding its lock in `store`, so no worker's update made meanwhile is lost:
    /// gather the facts, let `SessionSyncPlanner` decide (its doc comment numbers the cases),
    /// apply the plan.
    func sync(_ issue: IssueNumber, store: SessionStore, isOwn: Bool, localID: ObjectID?, remoteID: ObjectID?,
              _ repository: Repository, _ storage: RegistryStorage, _ vetting: Vetting) throws -> SessionSyncResult {
        var facts = try gather(issue, store: store, isOwn: isOwn, localID: localID, remoteID: remoteID, repository, storage, vetting)
        while true {
            switch try SessionSyncPlanner.plan(facts) {
            case .plan(let plan):
                try apply(plan, issue, store: store, localID: localID, repository, storage)
                return plan.result
            case .needsOrigin(let register, let roots):
                facts.origins.append((register, try vetting.origin(of: register, in: roots, repository, storage)))
            }
        }
    }

    /// Reads what the planner needs about one session; changes nothing but the file's new
    /// guidance, signed here before it is recorded.
    func gather(_ issue: IssueNumber, store: SessionStore, isOwn: Bool, localID: ObjectID?, remoteID: ObjectID?,
                _ repository: Repository, _ storage: RegistryStorage, _ vetting: Vetting) throws -> SessionSyncFacts {
        var facts = SessionSyncFacts(issue: issue, me: machine, isOwn: isOwn, file: store.path(for: issue), trust: vetting.trust, now: now())
        do { facts.original = try store.loadIfPresent(issue) } catch {
            facts.unreadable = PPDSError.from(error).message
            return facts
        }
        facts.current = facts.original
        facts.local = try localID.map { id throws(PPDSError) in try storage.entry(id) }
        facts.remote = try remoteID.map { id throws(PPDSError) in try storage.entry(id) }
        // Every commit the remote has and this machine has not taken in yet is checked before
        // any of it is: one whose signature does not match the machine it names refuses the lot.
        if let remoteID, remoteID != localID,
           let refusal = try vetting.vet(issue, from: remoteID, excluding: localID, repository, storage) {
            facts.refusal = refusal
            return facts
        }
        if let localID, let remoteID {
            if localID == remoteID {
                facts.localIsAncestorOfRemote = true
                facts.remoteIsAncestorOfLocal = true
            } else {
                facts.localIsAncestorOfRemote = try PPDSError.wrapping { try repository.isAncestor(localID, of: remoteID) }
                facts.remoteIsAncestorOfLocal = try PPDSError.wrapping { try repository.isAncestor(remoteID, of: localID) }
            }
        }
        // Guidance written here (by `guide` on this machine) since the last sync is signed by
        // this machine before it is recorded, so the machine that reads it knows who sent it.
        if var session = facts.current, let key = storage.key {
            var person: String?? = nil  // git's user.name, read only when something is signed
            let base = facts.local?.replica.guidance ?? [:]
            var changed = false
            session.guidance = session.guidance.map { item in
                guard item.extra[GuidanceOrigin.key] == nil, base[item.id] == nil else { return item }
                changed = true
                if person == nil { person = .some(repository.userName) }
                return GuidanceOrigin.signing(item, issue: issue, machine: machine, key: key, person: person ?? nil)
            }
            if changed { facts.current = session }
        }
        return facts
    }

    /// Carries out a plan's steps in order.
    func apply(_ plan: SessionSyncPlan, _ issue: IssueNumber, store: SessionStore, localID: ObjectID?,
               _ repository: Repository, _ storage: RegistryStorage) throws {
        var written: [ObjectID] = []
        func resolve(_ ref: PlannedRef) -> ObjectID {
            switch ref {
            case .existing(let id): id
            case .planned(let index): written[index]
            }
        }
        for step in plan.steps {
            switch step {
            case .commit(let commit):
                written.append(try storage.write(commit.replica, session: commit.session, parents: commit.parents.map(resolve),
                                                 lamport: commit.lamport, machine: machine, changed: commit.changed, now: now()))
            case .saveFile(let session):
                try store.save(session)
            case .removeFile:
                try store.removeHoldingLock(issue)
            case .moveRef(let ref):
                try repository.updateReference(RegistryRefs.session(issue), to: resolve(ref), expecting: localID, message: "ppds sync")
            case .checkpoint(let name):
                try FaultInjection.checkpoint(name)
            }
        }
    }
}

/// What one sync makes of other machines' commits: each verdict once per commit, and the
/// machines seen (written to `machines.json` at the end, for `ppds machines`).
package final class Vetting {
    var trust: MachineTrust
    private var verdicts: [ObjectID: TrustVerdict] = [:]
    private var sightings: [(signer: Signer, at: Date, verdict: TrustVerdict, action: String?)] = []
    /// At most this many of a session's new commits are checked in one sync (more: refused).
    static let maxNewCommits = 100_000

    package init(trust: MachineTrust) { self.trust = trust }

    func verdict(_ entry: RegistryEntry) -> TrustVerdict {
        if let known = verdicts[entry.id] { return known }
        let id = entry.machine?.id ?? "?"
        var verdict: TrustVerdict
        if let signature = entry.signature {
            verdict = trust.verdict(id: id, key: signature.signer.key, signatureValid: signature.valid)
        } else {
            // Unsigned: history from before ppds signed, or anyone's. Never in this machine's name.
            verdict = id == trust.me.id ? .forged : .unsigned
        }
        verdicts[entry.id] = verdict
        return verdict
    }

    /// Checks the commits reachable from `tip` and not from `excluding`; the reason to refuse
    /// them, or nil.
    package func vet(_ issue: IssueNumber, from tip: ObjectID, excluding: ObjectID?, _ repository: Repository,
             _ storage: RegistryStorage) throws(PPDSError) -> String? {
        let commits = try PPDSError.wrapping { try repository.commits(from: tip, excluding: excluding.map { [$0] } ?? [], limit: Self.maxNewCommits + 1) }
        if commits.count > Self.maxNewCommits {
            return "\(issue.tag): the remote has more than \(Self.maxNewCommits) new commits for it; not taken in"
        }
        var refusal: String?
        for id in commits {
            let entry = try storage.entry(id)
            let verdict = verdict(entry)
            let machine = entry.machine ?? Machine(id: "?", label: "?")
            let signer = Signer(id: machine.id, label: machine.label, key: entry.signature?.signer.key)
            let date = (try? repository.commitDate(id)) ?? Date(timeIntervalSince1970: 0)
            sightings.append((signer, date, verdict, Self.action(entry, issue: issue)))
            if verdict == .forged, refusal == nil {
                let why: String
                if entry.signature == nil {
                    why = "is not signed, yet names this machine"
                } else if entry.signature?.valid == false {
                    why = "carries a signature that does not verify"
                } else {
                    why = "is signed with key \(signer.fingerprint ?? "?"), not the key this machine knows for \(machine.id)"
                }
                refusal = "\(issue.tag): refused commit \(id.short) from '\(TerminalText.escaped(machine.label))' (\(machine.id)): it \(why); nothing of it was taken in"
                if entry.signature?.valid == true, machine.id != trust.me.id {
                    refusal! += ". If \(machine.id) has a new key, 'ppds machines' shows it and 'ppds machines trust \(signer.fingerprint ?? machine.id)' accepts it"
                } else {
                    refusal! += "; until the remote's ref is fixed this session does not sync ('git push <remote> +<good commit>:refs/ppds/sessions/\(issue.value)')"
                }
            }
        }
        return refusal
    }

    /// What a commit did, for `ppds machines`: "#7 guidance, status".
    static func action(_ entry: RegistryEntry, issue: IssueNumber) -> String? {
        let changed = entry.changed.filter { $0 != "lastUpdate" }
        guard !changed.isEmpty else { return nil }
        return "\(issue.tag) " + changed.prefix(4).joined(separator: ", ") + (changed.count > 4 ? ", …" : "")
    }

    /// Who set `register` in the history of `tip`: the commit with its stamp (clock and machine)
    /// whose state holds it. A stamp no commit of that machine explains is nobody's (unverified).
    /// `roots`: the existing commits the plan's tip grows from (a commit the plan writes is
    /// this machine's, so it never holds another machine's register).
    func origin(of register: Register, in roots: [ObjectID], _ repository: Repository,
                _ storage: RegistryStorage) throws(PPDSError) -> (signer: Signer?, verdict: TrustVerdict)? {
        var commits: [ObjectID] = []
        var seen: Set<ObjectID> = []
        for root in roots {
            for id in try PPDSError.wrapping({ try repository.commits(from: root, excluding: [], limit: 5_000) }) where seen.insert(id).inserted {
                commits.append(id)
            }
        }
        var best: (signer: Signer?, verdict: TrustVerdict)?
        for id in commits {
            let entry = try storage.entry(id)
            guard entry.lamport == register.stamp.lamport, entry.machine?.id == register.stamp.machine,
                  entry.replica.paused == register else { continue }
            let verdict = verdict(entry)
            let signer = entry.machine.map { Signer(id: $0.id, label: $0.label, key: entry.signature?.signer.key) }
            if verdict.acts { return (signer, verdict) }
            if best == nil { best = (signer, verdict) }
        }
        return best ?? (Signer(id: register.stamp.machine, label: register.stamp.machine, key: nil), .unsigned)
    }

    /// Records the machines seen in `machines.json` (best effort: a sync never fails for it).
    func save(home: String, machine: Machine) {
        guard !sightings.isEmpty else { return }
        let seen = sightings
        try? MachineTrust.modify(home: home, machine: machine) { trust in
            for item in seen { trust.saw(item.signer, at: item.at, verdict: item.verdict, action: item.action) }
        }
    }
}
