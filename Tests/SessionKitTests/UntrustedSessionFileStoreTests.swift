import Foundation
import Testing
import TestSupport
import SessionKit
import Support

/// Session files are untrusted input: every read path (list, load, loadIfPresent, modify,
/// remove, save) validates the whole file, and nothing is ever written to a file that fails.
@Suite struct UntrustedSessionFileStoreTests {
    /// A session file's text; `nil` leaves a key out.
    static func text(issue: JSONValue? = .string("#5"), id: String? = "work-5", branch: String = "feat/x",
                     worktree: String = "/w/x", base: String? = nil, status: String = "working",
                     extra: [String: JSONValue] = [:]) -> String {
        var out = OrderedJSON()
        out.set("id", id.map(JSONValue.string))
        out["status"] = .string(status)
        out.set("issue", issue)
        out["branch"] = .string(branch)
        out["worktree"] = .string(worktree)
        out["started"] = .string("2025-01-08T10:30:00Z")
        out["lastUpdate"] = .string("2025-01-08T11:15:00Z")
        out["stuck"] = .null
        out.set("base", base.map(JSONValue.string))
        for (key, value) in extra { out[key] = value }
        return JSONWriter.write(out)
    }

    /// The reason `decode` gives for `text`, or nil when it reads.
    static func reason(_ text: String, file: String = "/s/work-5.json") -> String? {
        do {
            _ = try Session.decode(Data(text.utf8), file: file)
            return nil
        } catch {
            #expect(error.file == file)
            return error.reason
        }
    }

    func makeSession(_ issue: Int) -> Session {
        Session(issue: IssueNumber(issue)!, branch: "feat/\(issue)", worktree: "/w/\(issue)", started: Date())
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The `SessionFileError` of a `.corrupt` registry error, or nil (recording an issue).
    func corruptError(_ body: () throws -> Void) -> SessionFileError? {
        do {
            try body()
            Issue.record("expected a corrupt-file error")
        } catch RegistryError.corrupt(let error) {
            return error
        } catch {
            Issue.record("expected a corrupt-file error, got \(error)")
        }
        return nil
    }

    // MARK: Defect 1: name and issue must agree

    @Test func aFileWhoseNameAndIssueDisagreeIsCorruptOnEveryPath() throws {
        let variants: [(String, String)] = [
            ("issue #1 with its id", Self.text(issue: .string("#1"), id: "work-1")),
            ("issue #1 without an id", Self.text(issue: .string("#1"), id: nil)),
            ("issue as the number 1", Self.text(issue: .int(1), id: "work-1")),
            ("only an id work-1", Self.text(issue: nil, id: "work-1")),
            ("issue as work-1", Self.text(issue: .string("work-1"), id: nil)),
        ]
        for (label, text) in variants {
            let folder = TemporaryFolder()
            let store = SessionStore(home: folder.path)
            try store.save(makeSession(1))
            try store.save(makeSession(9))
            let live = store.path(for: IssueNumber(1)!)
            let bad = store.sessionsDir + "/work-7.json"
            try text.write(toFile: bad, atomically: true, encoding: .utf8)
            let liveBytes = contents(live), badBytes = contents(bad)
            let seven = IssueNumber(7)!

            let listing = store.list()
            #expect(listing.sessions.map(\.issue.value) == [1, 9], "\(label)")
            #expect(listing.errors.map(\.file) == [bad], "\(label)")
            if let error = corruptError({ _ = try store.load(seven) }) {
                #expect(error.file == bad, "\(label)")
                #expect(error.reason.contains("#1") && error.reason.contains("work-7.json"), "\(label): \(error.reason)")
            }
            _ = corruptError { _ = try store.loadIfPresent(seven) }
            _ = corruptError { try store.modify(seven) { try $0.applying(.guide(message: "hi"), at: Date()) } }
            _ = corruptError { try store.modify(seven) { try $0.applying(.cancel, at: Date()) } }
            _ = corruptError { try store.remove(seven) }
            // save never replaces a file that fails validation either.
            _ = corruptError { try store.save(makeSession(7)) }
            // Neither the live session #1 nor the bad file changed.
            #expect(contents(live) == liveBytes, "\(label)")
            #expect(contents(bad) == badBytes, "\(label)")
            #expect(try store.load(IssueNumber(1)!).guidance.isEmpty, "\(label)")
        }
    }

    @Test func modifyWritesBackToExactlyTheFileItRead() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        let before = contents(store.path(for: IssueNumber(1)!))
        #expect(throws: RegistryError.self) {
            try store.modify(IssueNumber(1)!) { session in
                var moved = try session.applying(.guide(message: "x"), at: Date())
                moved.issue = IssueNumber(2)!
                return moved
            }
        }
        #expect(!FileManager.default.fileExists(atPath: store.path(for: IssueNumber(2)!)))
        #expect(contents(store.path(for: IssueNumber(1)!)) == before)
        // An ordinary change lands in the file it was read from.
        try store.modify(IssueNumber(1)!) { try $0.applying(.guide(message: "y"), at: Date()) }
        #expect(try store.load(IssueNumber(1)!).guidance.map(\.message) == ["y"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.sessionsDir) == ["work-1.json"])
    }

    // MARK: Defect 2: branch names follow git's rules

    @Test func branchesThatAreNotRefNamesAreCorrupt() throws {
        let hostile = ["../../../../project/Cargo", "feat/../../x", "a..b", "-x", "/abs", "x/", "x.", "x.lock", "a/.hidden",
                       "a//b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "a@{1}", "@", "HEAD", "a\u{7F}b", "a\tb", "", "x/y.lock/z"]
        for branch in hostile {
            let reason = Self.reason(Self.text(branch: branch))
            #expect(reason?.contains("'branch'") == true, "\(branch): \(reason ?? "accepted")")
        }
        #expect(Self.reason(Self.text(branch: "../../../../project/Cargo"))?.contains("\"../../../../project/Cargo\"") == true)
        for branch in ["feat/x", "fix/auth-bug-12", "a@b", "ünï/x", "x.lock.y", "a/-b", "a/HEAD", "refs/heads/x", "a{b}"] {
            #expect(Self.reason(Self.text(branch: branch)) == nil, "\(branch)")
        }

        // Through the store: reported, never changed, and the good sessions still listed.
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        let bad = store.sessionsDir + "/work-5.json"
        try Self.text(branch: "../../../../project/Cargo").write(toFile: bad, atomically: true, encoding: .utf8)
        let before = contents(bad)
        let listing = store.list()
        #expect(listing.sessions.map(\.issue.value) == [1])
        #expect(listing.errors.map(\.file) == [bad])
        _ = corruptError { try store.modify(IssueNumber(5)!) { try $0.applying(.cancel, at: Date()) } }
        _ = corruptError { try store.remove(IssueNumber(5)!) }
        #expect(contents(bad) == before)
    }

    // MARK: Defect 3: a base that names the session's own branch

    @Test func aBaseNamingItsOwnBranchIsCorrupt() {
        for base in ["feat/x", "refs/heads/feat/x", "heads/feat/x", "feat/x~0", "feat/x^{commit}", "feat/x@{0}"] {
            let reason = Self.reason(Self.text(branch: "feat/x", base: base))
            #expect(reason?.contains("'base'") == true && reason?.contains(base) == true, "\(base): \(reason ?? "accepted")")
        }
        for base in ["main", "origin/main", "origin/feat/x", "feat/x-2", "refs/heads/feat/xy", "feat/x@y", "feat"] {
            #expect(Self.reason(Self.text(branch: "feat/x", base: base)) == nil, "\(base)")
        }
    }

    // MARK: Defect 4: the worktree is an absolute, canonical path

    @Test func worktreesMustBeAbsoluteAndCanonical() {
        for worktree in ["relative/x", "", "/", "/a/../b", "/a/./b", "/a/..", "/a/.", "/.", "/..", "//a", "/a//b", "/a/b/", "~/x", "/a/\u{1}b"] {
            let reason = Self.reason(Self.text(worktree: worktree))
            #expect(reason?.contains("'worktree'") == true, "\(worktree): \(reason ?? "accepted")")
        }
        #expect(Self.reason(Self.text(worktree: "/a/../b"))?.contains("\"/a/../b\"") == true)
        for worktree in ["/a", "/a/b", "/a/.hidden", "/a/b..c", "/a/...", "/home/me/ppds auth", "/a/b.lock"] {
            #expect(Self.reason(Self.text(worktree: worktree)) == nil, "\(worktree)")
        }
    }

    // MARK: Defect 5: size is checked before reading

    /// Bytes this process has read through read(2) and friends (Linux).
    static func bytesRead() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("rchar:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test func aHugeSparseFileIsRefusedWithoutReadingIt() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        try store.save(makeSession(9))
        let huge = store.sessionsDir + "/work-3.json"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 2 << 30) == 0)  // 2 GiB, sparse: no disk used

        let readBefore = Self.bytesRead()
        let start = Date()
        let listing = store.list()
        let elapsed = Date().timeIntervalSince(start)
        #expect(listing.sessions.map(\.issue.value) == [1, 9])
        #expect(listing.errors.map(\.file) == [huge])
        #expect(listing.errors.first?.reason.contains("2147483648 bytes") == true, "\(listing.errors)")
        if let error = corruptError({ _ = try store.loadIfPresent(IssueNumber(3)!) }) {
            #expect(error.file == huge && error.reason.contains("2147483648 bytes"), "\(error)")
        }
        _ = corruptError { try store.modify(IssueNumber(3)!) { $0 } }
        if let readBefore, let readAfter = Self.bytesRead() {
            // Other tests in this process read too; the 2 GiB file is what must not be read.
            #expect(readAfter - readBefore < 256 << 20, "read \(readAfter - readBefore) bytes")
        }
        #expect(elapsed < 5, "list() took \(elapsed) s")
        #expect(try FileManager.default.attributesOfItem(atPath: huge)[.size] as? Int == 2 << 30)
    }

    @Test func aFileJustOverTheLimitIsCorrupt() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        let big = store.sessionsDir + "/work-4.json"
        // Valid JSON padded with spaces to one byte over the limit.
        var text = Self.text(issue: .string("#4"), id: "work-4")
        text += String(repeating: " ", count: Session.maxFileSize + 1 - text.utf8.count)
        try text.write(toFile: big, atomically: true, encoding: .utf8)
        let listing = store.list()
        #expect(listing.sessions.map(\.issue.value) == [1])
        #expect(listing.errors.first?.reason.contains("\(Session.maxFileSize + 1) bytes") == true, "\(listing.errors)")
    }

    @Test func aPipeOrAFolderIsReportedNotWaitedOn() throws {
        let folder = TemporaryFolder()
        let store = SessionStore(home: folder.path)
        try store.save(makeSession(1))
        let pipe = store.sessionsDir + "/work-4.json"
        let dir = store.sessionsDir + "/work-6.json"
        #expect(mkfifo(pipe, 0o644) == 0)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        nonisolated(unsafe) var listing: SessionListing?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            listing = store.list()
            done.signal()
        }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("list() blocked on a pipe")
            // Let the blocked reader go.
            let writer = open(pipe, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            _ = done.wait(timeout: .now() + 10)
        }
        #expect(listing?.sessions.map(\.issue.value) == [1])
        #expect(listing?.errors.map(\.file) == [pipe, dir])
        #expect(listing?.errors.allSatisfy { $0.reason.contains("not a regular file") } == true, "\(String(describing: listing?.errors))")
    }

    // MARK: Messages

    @Test func messagesNameTheFileTheKeyAndTheValue() {
        let cases: [(String, [String])] = [
            (Self.text(status: ""), ["'status'", "\"\""]),
            (Self.text(branch: "a..b"), ["'branch'", "\"a..b\"", "'..'"]),
            (Self.text(worktree: "rel/x"), ["'worktree'", "\"rel/x\""]),
            (Self.text(base: "feat/x"), ["'base'", "\"feat/x\""]),
            (Self.text(issue: .string("x")), ["'issue'", "\"x\""]),
            (Self.text(issue: .bool(true)), ["'issue'", "a boolean"]),
            (Self.text(id: "work-6"), ["\"work-6\"", "\"#5\""]),
            (Self.text(extra: ["id": .int(5)]), ["'id'", "a number"]),
            (Self.text(extra: ["title": .array([])]), ["'title'", "a list"]),
            (Self.text(extra: ["stuck": .int(3)]), ["'stuck'", "a number"]),
            (Self.text(extra: ["started": .string("yesterday")]), ["'started'", "\"yesterday\""]),
            (Self.text(branch: "a\u{1B}[31mred"), ["'branch'", "\\u001b"]),
        ]
        for (text, parts) in cases {
            let reason = Self.reason(text) ?? "accepted"
            for part in parts { #expect(reason.contains(part), "\(parts[0]): \(reason)") }
            #expect(!reason.contains("\u{1B}"), "a raw escape reached the message: \(reason)")
        }
    }
}
