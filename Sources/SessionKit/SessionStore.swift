#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Why the registry could not do what was asked. Each case names the issue or file.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(IssueNumber, file: String)
    /// No session of this repository; another repository has one of that number.
    case otherRepository(IssueNumber, repo: String, here: String)
    case corrupt(SessionFileError)
    case io(file: String, message: String)

    public var description: String {
        switch self {
        case .missing(let issue, let file): "no session for \(issue.tag) (\(file) does not exist)"
        case .otherRepository(let issue, let repo, let here):
            "no session for \(issue.tag) in \(here); \(issue.tag) belongs to \(repo) (run it there or pass --repo \(repo))"
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
/// - Several repositories share one home. A session lives in the spec's place,
///   `sessions/work-<issue>.json`, unless that file belongs to another repository; then it
///   lives in `sessions/<repository key>/work-<issue>.json` (`folderKey(forRepo:)`). A store
///   scoped to a repository (`scoped(to:)`, which every `Workspace` uses) reads and writes only
///   that repository's sessions, so the same issue number can be active in two repositories
///   and a session file is never overwritten by another repository's session.
/// - Writes are atomic: a temporary file in the same folder, fsynced, then renamed.
/// - Read-modify-write holds a per-session `flock` under `$PPDS_HOME/locks`, which works
///   across processes and across threads (each call opens its own file description).
public struct SessionStore: Sendable {
    public let home: String
    /// The repository (its main worktree, canonical) whose sessions this store reads and
    /// writes; nil reads only the spec's layout.
    public let repo: String?

    public init(home: String, repo: String? = nil) {
        self.home = home
        self.repo = repo
    }

    /// The same home, reading and writing only `repo`'s sessions.
    public func scoped(to repo: String) -> SessionStore { SessionStore(home: home, repo: repo) }

    /// The folder under `sessions/` for a repository whose issue numbers collide with
    /// another's: its folder name and a hash of its path, e.g. `shop-1a2b3c4d`.
    public static func folderKey(forRepo repo: String) -> String {
        let name = String(repo.lastPathPart.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_") ? Character(scalar) : "_"
        }.prefix(40))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in repo.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return (name.isEmpty ? "repo" : name) + "-" + String(String(hash, radix: 16).suffix(8))
    }

    /// `PPDS_HOME`, or `~/.ppds`.
    public static func defaultHome(environment: [String: String]? = nil) -> String {
        // One variable at a time: building the whole environment costs more than a front's work.
        let environment = environment ?? ["PPDS_HOME": Environment.value("PPDS_HOME"), "HOME": Environment.value("HOME")].compactMapValues { $0 }
        if let home = environment["PPDS_HOME"], !home.isEmpty { return home }
        return (environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/.ppds"
    }

    public var sessionsDir: String { home + "/sessions" }
    public var locksDir: String { home + "/locks" }
    /// Where unreadable files are moved by `doctor --fix`; never deleted.
    public var quarantineDir: String { home + "/corrupt" }

    /// Where `issue`'s session of this store's repository is, or goes: its own folder when a
    /// file is there; else the spec's place, unless a session of another repository holds it.
    public func path(for issue: IssueNumber) -> String {
        let spec = sessionsDir + "/" + issue.sessionID + ".json"
        guard let repo else { return spec }
        let own = sessionsDir + "/" + Self.folderKey(forRepo: repo) + "/" + issue.sessionID + ".json"
        if PlainFileCalls.exists(own) { return own }
        // An unreadable file stays where it is: reading it reports it, and nothing overwrites it.
        guard let holder = try? read(spec), let holderRepo = holder.repo else { return spec }
        return samePlace(holderRepo, repo) ? spec : own
    }

    // MARK: Reading

    public func load(_ issue: IssueNumber) throws(RegistryError) -> Session {
        guard let session = try loadIfPresent(issue) else { throw missing(issue) }
        return session
    }

    /// Why `issue` has no session here: none at all, or one of another repository.
    func missing(_ issue: IssueNumber) -> RegistryError {
        if let repo, let other = try? read(sessionsDir + "/" + issue.sessionID + ".json"), let otherRepo = other.repo, !samePlace(otherRepo, repo) {
            return .otherRepository(issue, repo: otherRepo, here: repo)
        }
        return .missing(issue, file: path(for: issue))
    }

    public func loadIfPresent(_ issue: IssueNumber) throws(RegistryError) -> Session? {
        try read(path(for: issue))
    }

    /// Every session file of every repository, sorted by issue. One bad file never hides the
    /// good ones. A session in a repository's folder must name that repository.
    public func list() -> SessionListing {
        var listing = SessionListing(sessions: [], errors: [])
        func add(_ file: String, folder: String?) {
            do throws(RegistryError) {
                // A file removed since the folder was listed is simply gone.
                guard let session = try read(file) else { return }
                if let folder, session.repo.map(Self.folderKey(forRepo:)) != folder {
                    listing.errors.append(SessionFileError(file: file, reason: "it names the repository \(Session.quote(session.repo ?? "(none)")), which does not belong in the folder \(folder)"))
                    return
                }
                listing.sessions.append(session)
            } catch {
                switch error {
                case .corrupt(let problem): listing.errors.append(problem)
                case .io(_, let message): listing.errors.append(SessionFileError(file: file, reason: message))
                case .missing, .otherRepository: break
                }
            }
        }
        for name in sessionFileNames() { add(sessionsDir + "/" + name, folder: nil) }
        for folder in repositoryFolders() {
            for name in Self.sessionFileNames(in: sessionsDir + "/" + folder) { add(sessionsDir + "/" + folder + "/" + name, folder: folder) }
        }
        listing.sessions.sort { ($0.issue, $0.repo ?? "") < ($1.issue, $1.repo ?? "") }
        return listing
    }

    /// The per-repository folders under `sessions/`.
    public func repositoryFolders() -> [String] {
        let names = PlainFileCalls.names(in: sessionsDir) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".json") && Self.isFolder(sessionsDir + "/" + $0) }.sorted()
    }

    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The one way a session file is read, by `list`, `load`, `loadIfPresent`, `modify`,
    /// `remove` and `save`. The file is untrusted input: it must be a regular file of at most
    /// `Session.maxFileSize` bytes (checked before reading; no more than that is ever read), its
    /// content must pass `Session.decode`, and its name must be its own `work-<issue>.json`.
    /// Nil when there is no such file; any other failure names the file.
    func read(_ file: String) throws(RegistryError) -> Session? {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            if errno == ELOOP { throw .corrupt(SessionFileError(file: file, reason: "it is a symbolic link; ppds reads only its own files")) }
            throw .io(file: file, message: "cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(file: file, message: "cannot be read: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .corrupt(SessionFileError(file: file, reason: "it is not a regular file (\(Self.describeType(info.st_mode)))"))
        }
        guard info.st_uid == geteuid() else {
            throw .corrupt(SessionFileError(file: file, reason: "it belongs to another user (uid \(info.st_uid))"))
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
        let name = file.lastPathPart
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
    public func sessionFileNames() -> [String] { Self.sessionFileNames(in: sessionsDir) }

    public static func sessionFileNames(in folder: String) -> [String] {
        let names = PlainFileCalls.names(in: folder) ?? []
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
        try ensureFolder(file.parentPath)
        do {
            try AtomicFile.write(data, to: file, mode: PrivateFile.fileMode, exactMode: true)
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
        // A session that does not exist gets no lock file: a refused request writes nothing.
        // (One removed after this look is found missing under the lock, as before.)
        guard Self.entryExists(path(for: issue)) else { throw missing(issue) }
        return try withLock(issue) {
            // Written back to exactly the file that was read, and only if that file was valid.
            let file = path(for: issue)
            guard let current = try read(file) else { throw missing(issue) }
            let next = try change(current)
            if next != current { try write(next, to: file) }
            return next
        }
    }

    /// Deletes a session file (under its lock). A file that does not parse is never deleted here.
    public func remove(_ issue: IssueNumber) throws {
        guard Self.entryExists(path(for: issue)) else { throw missing(issue) }
        try withLock(issue) { try removeHoldingLock(issue) }
    }

    /// Whether anything is at `path` (a symlink included, which reading then reports).
    static func entryExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 || errno != ENOENT
    }

    /// Deletes a session file; the caller holds the session's lock. Refuses a file that does not parse.
    public func removeHoldingLock(_ issue: IssueNumber) throws(RegistryError) {
        let file = path(for: issue)
        guard try read(file) != nil else { throw .missing(issue, file: file) }
        guard unlink(file) == 0 else {
            throw .io(file: file, message: "cannot remove it: \(String(cString: strerror(errno)))")
        }
    }

    /// Moves an unreadable file into the quarantine folder; returns its new path.
    public func moveAside(_ file: String) throws(RegistryError) -> String {
        try ensureFolder(quarantineDir)
        let stamp = Timestamp.format(Date()).filter { $0 != ":" }
        let target = quarantineDir + "/" + file.lastPathPart + "." + stamp
        guard rename(file, target) == 0 else {
            throw .io(file: file, message: "cannot move aside to \(target): \(String(cString: strerror(errno)))")
        }
        return target
    }

    func ensureFolder(_ path: String) throws(RegistryError) {
        do {
            try PrivateFile.ensureFolder(path, home: home)
        } catch {
            throw .io(file: error.path, message: error.message)
        }
    }
}
