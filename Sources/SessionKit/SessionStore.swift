import Foundation
#if canImport(Glibc)
import Glibc
import Support
#endif

/// Why the registry could not do what was asked. Each case names the issue or file.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(IssueNumber, file: String)
    case corrupt(SessionFileError)
    case io(file: String, message: String)

    public var description: String {
        switch self {
        case .missing(let issue, let file): "no session for \(issue.tag) (\(file) does not exist)"
        case .corrupt(let error): "\(error.file) could not be read: \(error.reason); fix or move it aside with 'ppds doctor --fix'"
        case .io(let file, let message): "\(file): \(message)"
        }
    }
}

/// Every session file in the folder: the good ones, and a named error for each bad one.
public struct SessionListing: Sendable {
    public var sessions: [Session]
    public var errors: [SessionFileError]
}

/// The session folder: `$PPDS_HOME/sessions/work-<issue>.json`, one file per session.
///
/// - Writes are atomic: a temporary file in the same folder, fsynced, then renamed.
/// - Read-modify-write holds a per-session `flock` under `$PPDS_HOME/locks`, which works
///   across processes and across threads (each call opens its own file description).
public struct SessionStore: Sendable {
    public let home: String

    public init(home: String) {
        self.home = home
    }

    /// `PPDS_HOME`, or `~/.ppds`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["PPDS_HOME"], !home.isEmpty { return home }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.ppds"
    }

    public var sessionsDir: String { home + "/sessions" }
    public var locksDir: String { home + "/locks" }
    /// Where unreadable files are moved by `doctor --fix`; never deleted.
    public var quarantineDir: String { home + "/corrupt" }

    public func path(for issue: IssueNumber) -> String { sessionsDir + "/" + issue.sessionID + ".json" }

    // MARK: Reading

    public func load(_ issue: IssueNumber) throws(RegistryError) -> Session {
        guard let session = try loadIfPresent(issue) else { throw .missing(issue, file: path(for: issue)) }
        return session
    }

    public func loadIfPresent(_ issue: IssueNumber) throws(RegistryError) -> Session? {
        try read(path(for: issue))
    }

    /// Every session file, sorted by issue. One bad file never hides the good ones.
    public func list() -> SessionListing {
        var listing = SessionListing(sessions: [], errors: [])
        for name in sessionFileNames() {
            let file = sessionsDir + "/" + name
            do throws(RegistryError) {
                // A file removed since the folder was listed is simply gone.
                if let session = try read(file) { listing.sessions.append(session) }
            } catch {
                switch error {
                case .corrupt(let problem): listing.errors.append(problem)
                case .io(_, let message): listing.errors.append(SessionFileError(file: file, reason: message))
                case .missing: break
                }
            }
        }
        listing.sessions.sort { $0.issue < $1.issue }
        return listing
    }

    /// The one way a session file is read, by `list`, `load`, `loadIfPresent`, `modify`,
    /// `remove` and `save`. The file is untrusted input: it must be a regular file of at most
    /// `Session.maxFileSize` bytes (checked before reading; no more than that is ever read), its
    /// content must pass `Session.decode`, and its name must be its own `work-<issue>.json`.
    /// Nil when there is no such file; any other failure names the file.
    func read(_ file: String) throws(RegistryError) -> Session? {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .io(file: file, message: "cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(file: file, message: "cannot be read: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .corrupt(SessionFileError(file: file, reason: "it is not a regular file (\(Self.describeType(info.st_mode)))"))
        }
        guard info.st_size <= Session.maxFileSize else {
            throw .corrupt(SessionFileError(file: file, reason: Session.tooLarge("\(info.st_size) bytes")))
        }
        // Reads at most one byte past the limit, in case the file grew since fstat.
        let limit = Session.maxFileSize + 1
        var data = Data()
        data.reserveCapacity(min(Int(info.st_size), Session.maxFileSize) + 1)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var count = 0
        while count < limit {
            let got = Glibc.read(fd, &chunk, min(chunk.count, limit - count))
            if got < 0 {
                if errno == EINTR { continue }
                throw .io(file: file, message: "cannot be read: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            data.append(contentsOf: chunk[0..<got])
            count += got
        }
        guard count <= Session.maxFileSize else {
            throw .corrupt(SessionFileError(file: file, reason: Session.tooLarge("more than \(Session.maxFileSize) bytes")))
        }
        let session: Session
        do {
            session = try Session.decode(data, file: file)
            try Self.checkName(of: session, file: file)
        } catch {
            throw .corrupt(error)
        }
        return session
    }

    /// A session lives in its own `work-<issue>.json`; a file whose name and `issue` (or `id`)
    /// disagree is corrupt, so a write can never land on another session's file.
    static func checkName(of session: Session, file: String) throws(SessionFileError) {
        let name = (file as NSString).lastPathComponent
        guard name == session.id + ".json" else {
            throw SessionFileError(file: file, reason: "its issue \(Session.quote(session.issue.tag)) (id \(Session.quote(session.id))) does not match its file name \(Session.quote(name)); that session belongs in \(session.id).json")
        }
    }

    static func describeType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a pipe"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        default: "mode \(String(mode, radix: 8))"
        }
    }

    /// `work-*.json` names in the folder (temporary files start with a dot and are skipped).
    public func sessionFileNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sessionsDir)) ?? []
        return names.filter { $0.hasPrefix("work-") && $0.hasSuffix(".json") }.sorted()
    }

    // MARK: Writing

    /// Writes the session file atomically. Callers that read first hold the session's lock.
    /// An existing file that fails validation is never overwritten.
    public func save(_ session: Session) throws(RegistryError) {
        let file = path(for: session.issue)
        _ = try read(file)
        try write(session, to: file)
    }

    /// Writes `session` to `file`, which must be its own name; what is written must read back
    /// as valid, so ppds never writes a file it would call corrupt.
    func write(_ session: Session, to file: String) throws(RegistryError) {
        let data = session.encoded()
        do {
            let back = try Session.decode(data, file: file)
            try Self.checkName(of: back, file: file)
        } catch {
            throw .corrupt(SessionFileError(file: file, reason: "refusing to write it: \(error.reason)"))
        }
        try ensureFolder((file as NSString).deletingLastPathComponent)
        do {
            try AtomicFile.write(data, to: file)
        } catch {
            throw .io(file: error.path, message: error.message)
        }
    }

    /// Runs `body` holding the session's lock (exclusive, cross-process). Not reentrant:
    /// inside `body`, use the `…HoldingLock` variants.
    public func withLock<T>(_ issue: IssueNumber, _ body: () throws -> T) throws -> T {
        try withNamedLock(issue.sessionID, body)
    }

    /// Runs `body` holding `$PPDS_HOME/locks/<name>.lock` (exclusive, cross-process).
    public func withNamedLock<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try ensureFolder(locksDir)
        do {
            return try FileLock.withLock(locksDir + "/" + name + ".lock", body)
        } catch let error as FileSystemError {
            throw RegistryError.io(file: error.path, message: error.message)
        }
    }

    /// Loads, changes and saves one session under its lock: no update is lost.
    @discardableResult
    public func modify(_ issue: IssueNumber, _ change: (Session) throws -> Session) throws -> Session {
        try withLock(issue) {
            // Written back to exactly the file that was read, and only if that file was valid.
            let file = path(for: issue)
            guard let current = try read(file) else { throw RegistryError.missing(issue, file: file) }
            let next = try change(current)
            if next != current { try write(next, to: file) }
            return next
        }
    }

    /// Deletes a session file (under its lock). A file that does not parse is never deleted here.
    public func remove(_ issue: IssueNumber) throws {
        try withLock(issue) { try removeHoldingLock(issue) }
    }

    /// Deletes a session file; the caller holds the session's lock. Refuses a file that does not parse.
    public func removeHoldingLock(_ issue: IssueNumber) throws(RegistryError) {
        let file = path(for: issue)
        guard try read(file) != nil else { throw .missing(issue, file: file) }
        do {
            try FileManager.default.removeItem(atPath: file)
        } catch {
            throw .io(file: file, message: error.localizedDescription)
        }
    }

    /// Moves an unreadable file into the quarantine folder; returns its new path.
    public func moveAside(_ file: String) throws(RegistryError) -> String {
        try ensureFolder(quarantineDir)
        let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
        let target = quarantineDir + "/" + (file as NSString).lastPathComponent + "." + stamp
        guard rename(file, target) == 0 else {
            throw .io(file: file, message: "cannot move aside to \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }

    func ensureFolder(_ path: String) throws(RegistryError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .io(file: path, message: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
