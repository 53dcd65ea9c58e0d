#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support

/// The machine a session runs on: a stable id (generated once per `PPDS_HOME`) and a label for
/// people (the host name). Recorded in each session file (`machine`) and each registry commit.
public struct Machine: Sendable, Equatable, Hashable {
    public let id: String
    public let label: String

    public init(id: String, label: String) {
        self.id = id
        self.label = label
    }

    /// The session key that records the machine.
    public static let sessionKey = "machine"

    /// This machine: `PPDS_MACHINE_ID` (tests), else `$PPDS_HOME/machine-id`, created on first
    /// use; the label is `PPDS_MACHINE_LABEL`, else `$PPDS_HOME/machine-label`, else the host name.
    public static func current(home: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PPDSError) -> Machine {
        let label = environment["PPDS_MACHINE_LABEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? PrivateFile.read(home + "/machine-label", limit: 4096)).map { String(decoding: $0, as: UTF8.self).trimmingWhitespaceAndNewlines() }.flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
            ?? ProcessInfo.processInfo.hostName
        if let id = environment["PPDS_MACHINE_ID"], !id.isEmpty { return Machine(id: id, label: label) }
        let file = home + "/machine-id"
        if let id = try readPrivateID(file) { return Machine(id: id, label: label) }
        let fresh = "m-" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(16)
        do {
            try PrivateFile.ensureFolder(home)
        } catch {
            throw PPDSError.io("\(error.path): \(error.message)")
        }
        // Written whole to a temporary file, then linked into place: link() fails if the name
        // exists, so two first runs at once agree on the winner, and no reader sees it empty.
        let temporary = home + "/.machine-id.\(getpid()).\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, PrivateFile.fileMode)
        if fd >= 0 {
            fchmod(fd, PrivateFile.fileMode)
            let failed = FileDescriptor.writeAll(fd, Data((fresh + "\n").utf8)) != nil
            close(fd)
            if !failed { _ = link(temporary, file) }
            unlink(temporary)
        }
        guard let id = try readPrivateID(file) else { throw PPDSError.io("\(file): cannot read or write the machine id") }
        return Machine(id: id, label: label)
    }

    /// The id file under the home: never through a symlink, never another user's.
    static func readPrivateID(_ file: String) throws(PPDSError) -> String? {
        let data: Data?
        do {
            data = try PrivateFile.read(file, limit: 4096)
        } catch {
            throw PPDSError.refused("\(error.path): \(error.message)")
        }
        guard let data else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        return (1...64).contains(text.utf8.count) && text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) ? text : nil
    }

    public var json: JSONValue { .object(["id": .string(id), "label": .string(label)]) }

    public init?(json: JSONValue?) {
        guard let object = json?.objectValue, let id = object["id"]?.stringValue, !id.isEmpty else { return nil }
        self.init(id: id, label: object["label"]?.stringValue ?? id)
    }
}

extension Session {
    /// The machine the session runs on, when recorded (older files have none).
    public var machine: Machine? {
        get { Machine(json: extra[Machine.sessionKey]) }
        set { extra[Machine.sessionKey] = newValue?.json }
    }
}
