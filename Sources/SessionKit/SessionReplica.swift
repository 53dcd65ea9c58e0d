#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// Orders concurrent writes: the Lamport clock first, then the machine id (a total order, so
/// every machine picks the same winner).
public struct Stamp: Hashable, Sendable, Comparable {
    public var lamport: Int
    public var machine: String

    public init(lamport: Int, machine: String) {
        self.lamport = lamport
        self.machine = machine
    }

    public static func < (a: Stamp, b: Stamp) -> Bool { (a.lamport, a.machine) < (b.lamport, b.machine) }

    var json: JSONValue { .array([.int(Int64(lamport)), .string(machine)]) }

    init?(json: JSONValue?) {
        guard let items = json?.arrayValue, items.count == 2, case .int(let lamport) = items[0], let machine = items[1].stringValue else { return nil }
        self.init(lamport: Int(lamport), machine: machine)
    }
}

/// A value written at a stamp; `value` nil records that the key was removed.
public struct Register: Sendable, Equatable {
    public var value: JSONValue?
    public var stamp: Stamp

    public init(value: JSONValue?, stamp: Stamp) {
        self.value = value
        self.stamp = stamp
    }

    /// The later write; equal stamps (which one machine never reuses) fall back to the value's text.
    func joined(_ other: Register) -> Register {
        if stamp != other.stamp { return stamp > other.stamp ? self : other }
        return Register.text(value) >= Register.text(other.value) ? self : other
    }

    static func text(_ value: JSONValue?) -> String { value.map { JSONWriter.write($0, pretty: false) } ?? "" }
}

/// A session as a state that merges: what a replicated session's commits carry besides the file.
///
/// Every top-level key is a last-writer-wins register (stamped by Lamport clock and machine id),
/// except these, which follow the merge rules:
/// - `guidance` is a set by id: entries are never lost or doubled; `delivered` is the earliest
///   reading seen anywhere.
/// - the status is three registers: the worker's status, a human's pause flag and a terminal
///   status. A pause therefore wins over a worker's concurrent update (which lands in
///   `pausedFrom`), and a terminal status wins over any non-terminal one, older or concurrent.
/// - `lastUpdate` is the latest time seen.
///
/// `merged(with:)` is a join: commutative, associative and idempotent, so machines that sync in
/// any order end with the same state.
public struct SessionReplica: Sendable, Equatable {
    /// Which incarnation of the issue's session this is: its `started` time. An issue pruned and
    /// started again is a new session; the newer incarnation wins whole, so an old terminal
    /// status or old guidance never leaks into it.
    public var epoch = ""
    public var fields: [String: Register] = [:]
    public var worker: Register?
    public var paused: Register?
    public var terminal: Register?
    public var lastUpdate: Date?
    public var guidance: [String: GuidanceEntry] = [:]

    public init() {}

    init(epoch: String) { self.epoch = epoch }

    /// One guidance message: its JSON (`delivered` kept apart) and when it was first recorded.
    public struct GuidanceEntry: Sendable, Equatable {
        public var body: [String: JSONValue]
        public var delivered: Date?
        public var added: Stamp
        /// Its place in the file when first recorded: keeps the order of messages sent in the same second.
        public var position: Int = 0

        func joined(_ other: GuidanceEntry) -> GuidanceEntry {
            let a = Register.text(.object(body)), b = Register.text(.object(other.body))
            var out = a >= b ? self : other
            out.delivered = [delivered, other.delivered].compactMap { $0 }.min()
            let first = (added, position) <= (other.added, other.position) ? self : other
            out.added = first.added
            out.position = first.position
            return out
        }

        var at: String { body["at"]?.stringValue ?? "" }
    }

    /// Keys that are not plain registers.
    static let special: Set<String> = ["status", "pausedFrom", "guidance", "lastUpdate"]

    /// The join of two states.
    public func merged(with other: SessionReplica) -> SessionReplica {
        if epoch != other.epoch { return epoch > other.epoch ? self : other }
        var out = SessionReplica()
        out.epoch = epoch
        for key in Set(fields.keys).union(other.fields.keys) {
            out.fields[key] = Self.join(fields[key], other.fields[key])
        }
        out.worker = Self.join(worker, other.worker)
        out.paused = Self.join(paused, other.paused)
        out.terminal = Self.join(terminal, other.terminal)
        out.lastUpdate = [lastUpdate, other.lastUpdate].compactMap { $0 }.max()
        out.guidance = guidance.merging(other.guidance) { $0.joined($1) }
        return out
    }

    static func join(_ a: Register?, _ b: Register?) -> Register? {
        guard let a else { return b }
        guard let b else { return a }
        return a.joined(b)
    }

    /// The highest Lamport clock any register carries.
    public var lamport: Int {
        let stamps = fields.values.map(\.stamp) + [worker, paused, terminal].compactMap { $0?.stamp } + guidance.values.map(\.added)
        return stamps.map(\.lamport).max() ?? 0
    }

    // MARK: A local file's changes

    /// This state with every difference of `session` recorded at `stamp`: what a machine's
    /// sync commits when its file changed since the last synced state. Registers the file did
    /// not change keep their stamps; guidance is only ever added (or marked read).
    public func recording(_ session: Session, at stamp: Stamp) -> SessionReplica {
        let started = Timestamp.format(session.started)
        if epoch.isEmpty && fields.isEmpty && guidance.isEmpty {
            return SessionReplica(epoch: started).recording(session, at: stamp)
        }
        // Another incarnation: the issue was started again (a new start time, or a finished
        // session that is active again, which no transition allows). A fresh state, whose epoch
        // sorts after the old one's.
        let restarted = terminal?.value != nil && !session.status.isTerminal
        if !epoch.hasPrefix(started) || restarted {
            let fresh = epoch.hasPrefix(started) ? started + "#" + zeroPadded(stamp.lamport, width: 12) + "-" + stamp.machine : started
            return SessionReplica(epoch: fresh).recording(session, at: stamp)
        }
        var next = self
        let object = Dictionary(session.json.entries, uniquingKeysWith: { _, last in last })
        for key in Set(object.keys).union(fields.keys) where !Self.special.contains(key) {
            let value = object[key]
            if fields[key]?.value != value, !(fields[key] == nil && value == nil) {
                next.fields[key] = Register(value: value, stamp: stamp)
            }
        }
        if session.status.isTerminal {
            if terminal?.value?.stringValue != session.status.fileValue {
                next.terminal = Register(value: .string(session.status.fileValue), stamp: stamp)
            }
        } else if terminal?.value == nil {
            let isPaused = session.status == .paused
            let workerStatus = isPaused ? (session.pausedFrom?.fileValue ?? worker?.value?.stringValue ?? "working") : session.status.fileValue
            if (paused?.value == .bool(true)) != isPaused {
                next.paused = Register(value: .bool(isPaused), stamp: stamp)
            }
            if worker?.value?.stringValue != workerStatus {
                next.worker = Register(value: .string(workerStatus), stamp: stamp)
            }
        }
        if lastUpdate.map({ session.lastUpdate > $0 }) ?? true { next.lastUpdate = session.lastUpdate }
        for (position, item) in session.guidance.enumerated() {
            var body = item.json.objectValue ?? [:]
            body["delivered"] = nil
            let entry = GuidanceEntry(body: body, delivered: item.delivered, added: stamp, position: position)
            next.guidance[item.id] = guidance[item.id].map { $0.joined(entry) } ?? entry
        }
        return next
    }

    // MARK: The file

    /// The session this state stands for, as its file would hold it.
    public func session(file: String) throws(SessionFileError) -> Session {
        var object: [String: JSONValue] = [:]
        for (key, register) in fields { if let value = register.value { object[key] = value } }
        let status: String
        if let terminal = terminal?.value?.stringValue {
            status = terminal
        } else if paused?.value == .bool(true) {
            status = "paused"
            object["pausedFrom"] = .string(worker?.value?.stringValue ?? "working")
        } else {
            status = worker?.value?.stringValue ?? "registered"
        }
        object["status"] = .string(status)
        if let lastUpdate { object["lastUpdate"] = .string(Timestamp.format(lastUpdate)) }
        let entries = guidance.sorted {
            ($0.value.at, $0.value.added, $0.value.position, $0.key) < ($1.value.at, $1.value.added, $1.value.position, $1.key)
        }
        if !entries.isEmpty {
            object["guidance"] = .array(entries.map { _, entry in
                var body = entry.body
                if let delivered = entry.delivered { body["delivered"] = .string(Timestamp.format(delivered)) }
                return .object(body)
            })
        }
        return try Session.decode(Data(JSONWriter.write(.object(object), pretty: false).utf8), file: file)
    }

    /// A state with every key of `session` written at `stamp` (a session seen for the first time).
    public static func initial(_ session: Session, at stamp: Stamp) -> SessionReplica {
        SessionReplica().recording(session, at: stamp)
    }

    // MARK: Stored form (meta.json's `state`)

    public var json: JSONValue {
        func register(_ r: Register) -> JSONValue {
            var out: [String: JSONValue] = ["stamp": r.stamp.json]
            if let value = r.value { out["value"] = value }
            return .object(out)
        }
        var out: [String: JSONValue] = [
            "epoch": .string(epoch),
            "fields": .object(fields.mapValues(register)),
            "guidance": .object(guidance.mapValues { entry in
                var out: [String: JSONValue] = ["body": .object(entry.body), "added": entry.added.json, "position": .int(Int64(entry.position))]
                if let delivered = entry.delivered { out["delivered"] = .string(Timestamp.format(delivered)) }
                return .object(out)
            }),
        ]
        if let worker { out["worker"] = register(worker) }
        if let paused { out["paused"] = register(paused) }
        if let terminal { out["terminal"] = register(terminal) }
        if let lastUpdate { out["lastUpdate"] = .string(Timestamp.format(lastUpdate)) }
        return .object(out)
    }

    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        epoch = object["epoch"]?.stringValue ?? ""
        func register(_ value: JSONValue?) -> Register? {
            guard let fields = value?.objectValue, let stamp = Stamp(json: fields["stamp"]) else { return nil }
            return Register(value: fields["value"], stamp: stamp)
        }
        for (key, value) in object["fields"]?.objectValue ?? [:] {
            guard let register = register(value) else { return nil }
            fields[key] = register
        }
        worker = register(object["worker"])
        paused = register(object["paused"])
        terminal = register(object["terminal"])
        lastUpdate = object["lastUpdate"]?.stringValue.flatMap(Timestamp.parse)
        for (id, value) in object["guidance"]?.objectValue ?? [:] {
            guard let fields = value.objectValue, let body = fields["body"]?.objectValue, let added = Stamp(json: fields["added"]) else { return nil }
            var position = 0
            if case .int(let value)? = fields["position"] { position = Int(value) }
            guidance[id] = GuidanceEntry(body: body, delivered: fields["delivered"]?.stringValue.flatMap(Timestamp.parse), added: added, position: position)
        }
    }
}
