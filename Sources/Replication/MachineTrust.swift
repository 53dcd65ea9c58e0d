import Foundation
import Crypto
import SessionKit
import Support

/// This machine's signing key: Ed25519, made on first use, kept in `$PPDS_HOME/machine-key`
/// (mode 0600, the 32-byte seed in base64). Every registry commit, claim and guidance message
/// this machine writes is signed with it; its public key travels in the commit, so other
/// machines learn it, and trust it only when a person says so (`ppds machines trust`).
public struct MachineKey: Sendable {
    /// The 32-byte seed (swift-crypto's key type is not Sendable).
    let seed: Data
    public let publicKey: Data

    init(privateKey: Curve25519.Signing.PrivateKey) {
        seed = privateKey.rawRepresentation
        publicKey = privateKey.publicKey.rawRepresentation
    }

    var privateKey: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    public var publicKeyText: String { publicKey.base64EncodedString() }
    public var fingerprint: String { Self.fingerprint(of: publicKey) }

    /// `ed25519:` and the first 16 hex digits of the public key's SHA-256.
    public static func fingerprint(of key: Data) -> String { "ed25519:" + String(Support.SHA256.hex(key).prefix(16)) }

    public static func file(home: String) -> String { home + "/machine-key" }

    /// Loads the key, making it on first use (two first runs at once agree: the file is linked into place).
    public static func load(home: String) throws(PPDSError) -> MachineKey {
        let path = file(home: home)
        if let key = read(path) { return key }
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        } catch {
            throw PPDSError.io("\(home): cannot create the folder: \(error.localizedDescription)")
        }
        let fresh = Curve25519.Signing.PrivateKey()
        let temporary = home + "/.machine-key.\(getpid()).\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            let failure = FileDescriptor.writeAll(fd, Data((fresh.rawRepresentation.base64EncodedString() + "\n").utf8))
            fsync(fd)
            close(fd)
            if failure == nil { _ = link(temporary, path) }
            unlink(temporary)
        }
        guard let key = read(path) else { throw PPDSError.io("\(path): cannot read or write this machine's signing key") }
        return key
    }

    static func read(_ path: String) -> MachineKey? {
        guard let data = FileManager.default.contents(atPath: path),
              let seed = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        return MachineKey(privateKey: key)
    }

    public func sign(_ payload: Data) -> Data { (try? privateKey.signature(for: payload)) ?? Data() }

    public static func verify(_ signature: Data, of payload: Data, key: Data) -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return publicKey.isValidSignature(signature, for: payload)
    }
}

/// How far this machine believes what another machine (says it) wrote.
public enum TrustVerdict: String, Sendable {
    /// Written here, or signed with this machine's own key.
    case own
    /// Signed by a key this machine trusts for the machine it names.
    case trusted
    /// Signed, but by a machine nobody here trusted.
    case untrusted
    /// No signature: an older ppds, or anyone with push access.
    case unsigned
    /// A signature that does not verify, or a key that is not the one this machine knows for
    /// the machine the commit names (this machine's own id included): refused.
    case forged

    /// Whether it may act here (relay guidance, pause, claim).
    public var acts: Bool { self == .own || self == .trusted }

    /// The word people see next to it.
    public var word: String {
        switch self {
        case .own: return "this machine"
        case .trusted: return "trusted"
        case .untrusted: return "untrusted"
        case .unsigned, .forged: return "unverified"
        }
    }
}

/// A machine as a signature names it.
public struct Signer: Sendable, Equatable {
    public var id: String
    public var label: String
    public var key: Data?
    public var person: String?
    public var fingerprint: String? { key.map(MachineKey.fingerprint) }

    public init(id: String, label: String, key: Data?, person: String? = nil) {
        self.id = id
        self.label = label
        self.key = key
        self.person = person
    }

    /// "laptop (m-1a2b, ed25519:…)", escaped by the caller.
    public var described: String {
        var parts = [id]
        if let fingerprint { parts.append(fingerprint) }
        if let person, !person.isEmpty { parts.append(person) }
        return "\(label) (\(parts.joined(separator: ", ")))"
    }
}

/// `$PPDS_HOME/machines.json`: the machines this one trusts (id and public key, set only by a
/// person with `ppds machines trust`) and the machines sync has seen on a remote.
public struct MachineTrust: Sendable {
    public struct Trusted: Sendable, Equatable {
        public var id: String
        public var label: String
        public var key: Data
        public var since: Date
    }

    public struct Seen: Sendable, Equatable {
        public var id: String
        public var label: String
        public var key: Data?
        public var lastSeen: Date
        public var verdict: TrustVerdict
        /// The latest things it did, newest last ("#7 guidance", "#7 paused", "claimed #9").
        public var actions: [String]
    }

    public let home: String
    public let me: Machine
    public let myKey: MachineKey
    public var trusted: [Trusted] = []
    public var seen: [Seen] = []

    public static func file(home: String) -> String { home + "/machines.json" }

    /// This machine's trust: its key (made on first use) and the trust file.
    public static func load(home: String, machine: Machine? = nil) throws(PPDSError) -> MachineTrust {
        let me: Machine
        if let machine { me = machine } else { me = try Machine.current(home: home) }
        var out = MachineTrust(home: home, me: me, myKey: try MachineKey.load(home: home))
        guard let data = FileManager.default.contents(atPath: file(home: home)) else { return out }
        guard let object = (try? JSONValue.parse(data))?.objectValue else {
            throw PPDSError.invalid("\(file(home: home)): not a machines file; fix or remove it (it lists the machines this one trusts)")
        }
        for item in object["trusted"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let id = fields["id"]?.stringValue,
                  let key = fields["key"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { continue }
            out.trusted.append(Trusted(id: id, label: fields["label"]?.stringValue ?? id, key: key,
                                       since: fields["since"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0)))
        }
        for item in object["seen"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let id = fields["id"]?.stringValue else { continue }
            out.seen.append(Seen(id: id, label: fields["label"]?.stringValue ?? id,
                                 key: fields["key"]?.stringValue.flatMap { Data(base64Encoded: $0) },
                                 lastSeen: fields["lastSeen"]?.stringValue.flatMap(Timestamp.parse) ?? Date(timeIntervalSince1970: 0),
                                 verdict: fields["verdict"]?.stringValue.flatMap(TrustVerdict.init(rawValue:)) ?? .untrusted,
                                 actions: (fields["actions"]?.arrayValue ?? []).compactMap(\.stringValue)))
        }
        return out
    }

    /// The trust file, or nil when it cannot be read: then nothing from elsewhere is believed.
    public static func loadIfPossible(home: String) -> MachineTrust? { try? load(home: home) }

    var json: JSONValue {
        .object([
            "version": .int(1),
            "trusted": .array(trusted.map { .object(["id": .string($0.id), "label": .string($0.label), "key": .string($0.key.base64EncodedString()),
                                                     "fingerprint": .string(MachineKey.fingerprint(of: $0.key)), "since": .string(Timestamp.format($0.since))]) }),
            "seen": .array(seen.map { item in
                var out: [String: JSONValue] = ["id": .string(item.id), "label": .string(item.label), "lastSeen": .string(Timestamp.format(item.lastSeen)),
                                                "verdict": .string(item.verdict.rawValue), "actions": .array(item.actions.map(JSONValue.string))]
                if let key = item.key { out["key"] = .string(key.base64EncodedString()); out["fingerprint"] = .string(MachineKey.fingerprint(of: key)) }
                return .object(out)
            }),
        ])
    }

    /// Reads, changes and writes the file under `machines.lock` (syncs of several repositories may run at once).
    @discardableResult
    public static func modify(home: String, machine: Machine? = nil, _ change: (inout MachineTrust) throws -> Void) throws(PPDSError) -> MachineTrust {
        try PPDSError.wrapping {
            try FileLock.withLock(home + "/machines.lock") {
                var trust = try load(home: home, machine: machine)
                let before = trust.json
                try change(&trust)
                if trust.json != before {
                    try AtomicFile.write(Data((JSONWriter.write(trust.json) + "\n").utf8), to: file(home: home), mode: 0o600)
                }
                return trust
            }
        }
    }

    // MARK: Verdicts

    /// What to make of something signed by `key` (nil: unsigned) in the name of machine `id`,
    /// whose signature checked out or not.
    public func verdict(id: String, key: Data?, signatureValid: Bool) -> TrustVerdict {
        guard let key else { return .unsigned }
        guard signatureValid else { return .forged }
        if id == me.id { return key == myKey.publicKey ? .own : .forged }
        let keys = trusted.filter { $0.id == id }.map(\.key)
        if keys.contains(key) { return .trusted }
        return keys.isEmpty ? .untrusted : .forged
    }

    // MARK: Seen

    /// Records that `signer` wrote something at `date` (`action`, when it did something people care about).
    public mutating func saw(_ signer: Signer, at date: Date, verdict: TrustVerdict, action: String?) {
        if signer.id == me.id && verdict == .own { return }
        if let index = seen.firstIndex(where: { $0.id == signer.id && $0.key == signer.key }) {
            seen[index].label = signer.label
            seen[index].lastSeen = max(seen[index].lastSeen, date)
            seen[index].verdict = verdict
            if let action, seen[index].actions.last != action {
                seen[index].actions = Array((seen[index].actions + [action]).suffix(8))
            }
        } else {
            seen.append(Seen(id: signer.id, label: signer.label, key: signer.key, lastSeen: date, verdict: verdict, actions: action.map { [$0] } ?? []))
        }
    }

    // MARK: Trust and untrust

    /// Trusts the machine `query` names: an id (when sync saw exactly one key for it), a
    /// fingerprint (or a prefix of one), or `id` with the public key given (`--key`).
    public mutating func trust(_ query: String, key given: String?, now: Date = Date()) throws(PPDSError) -> Trusted {
        let match: (id: String, label: String, key: Data)
        if let given {
            guard let key = Data(base64Encoded: given), key.count == 32 else {
                throw PPDSError.usage("--key must be an Ed25519 public key in base64 (as 'ppds machines' prints it on that machine)")
            }
            let label = seen.first(where: { $0.id == query && $0.key == key })?.label ?? query
            match = (query, label, key)
        } else {
            let candidates = seen.filter { item in
                guard let key = item.key else { return false }
                let fingerprint = MachineKey.fingerprint(of: key)
                return item.id == query || fingerprint == query || (query.hasPrefix("ed25519:") && query.count >= 12 && fingerprint.hasPrefix(query))
            }
            let keys = Set(candidates.compactMap(\.key))
            guard let only = candidates.first, let key = only.key, keys.count == 1 else {
                if keys.isEmpty {
                    throw PPDSError.notFound("no machine \(query) with a signing key was seen on the remote; run 'ppds sync' first, or give its key: 'ppds machines trust <id> --key <key>'")
                }
                throw PPDSError.conflict("\(query) was seen with \(keys.count) keys (\(keys.map(MachineKey.fingerprint).sorted().joined(separator: ", "))); name the one to trust by its fingerprint")
            }
            match = (only.id, only.label, key)
        }
        guard match.id != me.id else { throw PPDSError.usage("\(match.id) is this machine; it always trusts itself") }
        let entry = Trusted(id: match.id, label: match.label, key: match.key, since: now)
        // One key per machine: trusting a new key (a rotation) replaces the old one.
        trusted.removeAll { $0.id == match.id }
        trusted.append(entry)
        for index in seen.indices where seen[index].id == match.id {
            seen[index].verdict = seen[index].key == match.key ? .trusted : .forged
        }
        return entry
    }

    /// Stops trusting the machines `query` names (an id or a fingerprint). Returns what was removed.
    public mutating func untrust(_ query: String) throws(PPDSError) -> [Trusted] {
        let removed = trusted.filter { $0.id == query || MachineKey.fingerprint(of: $0.key).hasPrefix(query) && query.hasPrefix("ed25519:") }
        guard !removed.isEmpty else {
            if query == me.id { throw PPDSError.usage("\(query) is this machine; it always trusts itself") }
            throw PPDSError.notFound("\(query) is not a trusted machine ('ppds machines' lists them)")
        }
        trusted.removeAll { removed.contains($0) }
        for index in seen.indices where removed.contains(where: { $0.id == seen[index].id }) {
            if seen[index].verdict == .trusted || seen[index].verdict == .forged { seen[index].verdict = .untrusted }
        }
        return removed
    }
}

// MARK: Signed payloads

/// What a signature covers, for each kind of signed thing. Each starts with its own line, so a
/// signature of one kind is never valid as another.
public enum SignedPayload {
    /// A registry commit: its parents and the SHA-256 of each file of its tree but the signature.
    static func commit(parents: [ObjectIDText], files: [String: Data]) -> Data {
        var lines = ["ppds registry commit v1"]
        lines.append("parents " + parents.joined(separator: " "))
        for name in files.keys.sorted() where name != RegistrySignature.fileName {
            lines.append("\(name) \(Support.SHA256.hex(files[name]!))")
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// A guidance message: the issue it was sent to, its id, time, words, and the sender
    /// (machine, label and the person named, if any).
    public static func guidance(issue: IssueNumber, id: String, at: String, message: String, machine: String, label: String,
                                person: String?) -> Data {
        Data(["ppds guidance v1", issue.tag, id, at, machine, label, person ?? "", message].joined(separator: "\n").utf8)
    }

    typealias ObjectIDText = String
}

/// The signature file of a registry commit or claim: `signature.json`, `{"machine", "key", "signature"}`.
enum RegistrySignature {
    static let fileName = "signature.json"

    static func make(_ payload: Data, machine: Machine, key: MachineKey) -> Data {
        let value: JSONValue = .object(["machine": .string(machine.id), "key": .string(key.publicKeyText),
                                        "signature": .string(key.sign(payload).base64EncodedString())])
        return Data((JSONWriter.write(value) + "\n").utf8)
    }

    /// The signer a commit's files name and whether its signature holds; nil when unsigned.
    static func check(files: [String: Data], parents: [String], named machine: Machine?) -> (signer: Signer, valid: Bool)? {
        guard let data = files[fileName], let object = (try? JSONValue.parse(data))?.objectValue,
              let keyText = object["key"]?.stringValue, let key = Data(base64Encoded: keyText),
              let signature = object["signature"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { return nil }
        let id = machine?.id ?? object["machine"]?.stringValue ?? "?"
        let signer = Signer(id: id, label: machine?.label ?? id, key: key)
        // The id the signature file names must be the one the commit's content names.
        let sameID = object["machine"]?.stringValue == id
        let valid = sameID && MachineKey.verify(signature, of: SignedPayload.commit(parents: parents, files: files), key: key)
        return (signer, valid)
    }
}

// MARK: Guidance provenance

/// Who sent a guidance message, as its `from` key says: written by `ppds sync` on the machine
/// that sent it, signed with that machine's key. A message without `from` was written on this
/// machine (sync gives every message it brings in from elsewhere a `from`).
public struct GuidanceOrigin: Sendable, Equatable {
    public static let key = "from"

    public var signer: Signer?
    public var verdict: TrustVerdict

    /// A message written here.
    public static let local = GuidanceOrigin(signer: nil, verdict: .own)

    public var isLocal: Bool { signer == nil && verdict == .own }

    /// For people: "from laptop (m-…, ed25519:…) (untrusted)"; empty for local guidance.
    public var described: String {
        guard let signer else { return verdict == .own ? "" : "from an unknown machine (unverified)" }
        switch verdict {
        case .own: return "from \(signer.label) (this machine)"
        case .trusted: return "from \(signer.described)"
        default: return "from \(signer.described) (\(verdict.word))"
        }
    }

    public var json: JSONValue {
        var out: [String: JSONValue] = ["verdict": .string(verdict.rawValue), "relayed": .bool(verdict.acts)]
        if let signer {
            out["machine"] = .string(signer.id)
            out["label"] = .string(signer.label)
            out["fingerprint"] = signer.fingerprint.map(JSONValue.string) ?? .null
            if let person = signer.person { out["person"] = .string(person) }
        } else {
            out["machine"] = .null
        }
        return .object(out)
    }

    /// The origin of `item` in `issue`'s session, judged by `trust` (nil: no trust file can be
    /// read, so nothing from elsewhere is believed).
    public static func of(_ item: Guidance, issue: IssueNumber, trust: MachineTrust?) -> GuidanceOrigin {
        guard let from = item.extra[key] else { return .local }
        guard let object = from.objectValue, let id = object["machine"]?.stringValue else {
            return GuidanceOrigin(signer: nil, verdict: .unsigned)
        }
        let label = object["label"]?.stringValue ?? id
        let key = object["key"]?.stringValue.flatMap { Data(base64Encoded: $0) }
        let signer = Signer(id: id, label: label, key: key, person: object["person"]?.stringValue)
        guard let key, let signature = object["signature"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
            return GuidanceOrigin(signer: signer, verdict: .unsigned)
        }
        let payload = SignedPayload.guidance(issue: issue, id: item.id, at: Timestamp.format(item.at), message: item.message, machine: id, label: label,
                                             person: object["person"]?.stringValue)
        let valid = MachineKey.verify(signature, of: payload, key: key)
        guard let trust else { return GuidanceOrigin(signer: signer, verdict: valid ? .untrusted : .forged) }
        return GuidanceOrigin(signer: signer, verdict: trust.verdict(id: id, key: key, signatureValid: valid))
    }

    /// `item` signed by this machine as its sender.
    static func signing(_ item: Guidance, issue: IssueNumber, machine: Machine, key: MachineKey, person: String?) -> Guidance {
        var item = item
        let person = person.flatMap { $0.isEmpty ? nil : $0 }
        let payload = SignedPayload.guidance(issue: issue, id: item.id, at: Timestamp.format(item.at), message: item.message, machine: machine.id, label: machine.label,
                                             person: person)
        var from: [String: JSONValue] = ["machine": .string(machine.id), "label": .string(machine.label), "key": .string(key.publicKeyText),
                                         "signature": .string(key.sign(payload).base64EncodedString())]
        if let person { from["person"] = .string(person) }
        item.extra[Self.key] = .object(from)
        return item
    }

    /// `item`, which came from the registry without a signature of its own: marked so, naming
    /// the machine its replica entry says added it, so it is never taken for local guidance.
    static func markingUnsigned(_ item: Guidance, machine: String?) -> Guidance {
        var item = item
        item.extra[Self.key] = .object(["machine": machine.map(JSONValue.string) ?? .null, "unsigned": .bool(true)])
        return item
    }
}

extension Session {
    /// Each unread message with its origin. The trust file (and this machine's key) is read only
    /// when a message came from elsewhere, so a single machine never needs either.
    public func unreadGuidanceWithOrigin(home: String) -> [(guidance: Guidance, origin: GuidanceOrigin)] {
        let unread = undeliveredGuidance
        let trust = unread.contains { $0.extra[GuidanceOrigin.key] != nil } ? MachineTrust.loadIfPossible(home: home) : nil
        return unread.map { ($0, GuidanceOrigin.of($0, issue: issue, trust: trust)) }
    }

    /// Unread guidance that may reach the agent: written here, or signed by a machine this one
    /// trusts. The rest stays unread, shown to people, never relayed.
    public func relayableGuidance(home: String) -> [(guidance: Guidance, origin: GuidanceOrigin)] {
        unreadGuidanceWithOrigin(home: home).filter { $0.origin.verdict.acts }
    }

    /// Every message with its origin (for status, show and the dashboard).
    public func guidanceWithOrigin(home: String) -> [(guidance: Guidance, origin: GuidanceOrigin)] {
        let trust = guidance.contains { $0.extra[GuidanceOrigin.key] != nil } ? MachineTrust.loadIfPossible(home: home) : nil
        return guidance.map { ($0, GuidanceOrigin.of($0, issue: issue, trust: trust)) }
    }
}
