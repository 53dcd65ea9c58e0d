import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A worktree made by `ppds start-work` must be byte-for-byte the one `git worktree add` makes
/// at the same commit (file bytes, modes, symlink targets, index), or ppds must refuse before
/// creating anything. Each case builds a small repository with the git CLI, makes one worktree
/// each way and compares them. Paths are compared as bytes (no String round trip).
@Suite struct WorktreeInteropTests {
    // MARK: Byte-level helpers (paths as bytes, never Strings)

    /// One entry of a folder tree, as bytes.
    struct Entry: Equatable, CustomStringConvertible {
        enum Kind: Equatable { case file, folder, symlink }
        var kind: Kind
        /// Permission bits for files and folders; 0 for symlinks.
        var mode: UInt32
        /// File content or symlink target.
        var bytes: [UInt8]
        var description: String {
            let preview = bytes.prefix(80).map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
            return "\(kind) \(String(mode, radix: 8)) \(bytes.count)B \(preview)"
        }
    }

    static func cString(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }
    static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
    static func show(_ path: [UInt8]) -> String {
        path.map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }

    /// Every entry under `root` (relative byte paths), `.git` at the top left out.
    static func snapshot(_ root: String) throws -> [[UInt8]: Entry] {
        var result: [[UInt8]: Entry] = [:]
        func walk(_ relative: [UInt8]) throws {
            let full = bytes(root) + (relative.isEmpty ? [] : [0x2f] + relative)
            guard let dir = opendir(cString(full)) else { throw POSIXFailure(what: "opendir \(show(full))") }
            defer { closedir(dir) }
            while let item = readdir(dir) {
                let name: [UInt8] = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    Array(raw.prefix(while: { $0 != 0 }))
                }
                if name == [0x2e] || name == [0x2e, 0x2e] { continue }
                if relative.isEmpty && name == bytes(".git") { continue }
                let child = relative.isEmpty ? name : relative + [0x2f] + name
                let childFull = bytes(root) + [0x2f] + child
                var info = stat()
                guard lstat(cString(childFull), &info) == 0 else { throw POSIXFailure(what: "lstat \(show(childFull))") }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    result[child] = Entry(kind: .folder, mode: info.st_mode & 0o7777, bytes: [])
                    try walk(child)
                case S_IFLNK:
                    var buffer = [CChar](repeating: 0, count: 4096)
                    let count = readlink(cString(childFull), &buffer, buffer.count)
                    guard count >= 0 else { throw POSIXFailure(what: "readlink \(show(childFull))") }
                    result[child] = Entry(kind: .symlink, mode: 0, bytes: buffer.prefix(count).map { UInt8(bitPattern: $0) })
                default:
                    let fd = open(cString(childFull), O_RDONLY)
                    guard fd >= 0 else { throw POSIXFailure(what: "open \(show(childFull))") }
                    defer { close(fd) }
                    var content: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let count = read(fd, &chunk, chunk.count)
                        if count <= 0 { break }
                        content += chunk.prefix(count)
                    }
                    result[child] = Entry(kind: .file, mode: info.st_mode & 0o7777, bytes: content)
                }
            }
        }
        try walk([])
        return result
    }

    struct POSIXFailure: Error, CustomStringConvertible {
        let what: String
        var description: String { "\(what): \(String(cString: strerror(errno)))" }
    }

    /// Writes a file (or symlink when `link` is set) at byte path `path` under `root`, making folders.
    static func put(_ root: String, _ path: [UInt8], _ content: [UInt8] = [], link: [UInt8]? = nil, executable: Bool = false) throws {
        var parent = path
        var folders: [[UInt8]] = []
        while let slash = parent.lastIndex(of: 0x2f) {
            parent = Array(parent[..<slash])
            folders.insert(parent, at: 0)
        }
        for folder in folders {
            let full = cString(bytes(root) + [0x2f] + folder)
            guard mkdir(full, 0o777) == 0 || errno == EEXIST else { throw POSIXFailure(what: "mkdir \(show(folder))") }
        }
        let full = cString(bytes(root) + [0x2f] + path)
        if let link {
            guard symlink(cString(link), full) == 0 else { throw POSIXFailure(what: "symlink \(show(path))") }
            return
        }
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, executable ? 0o755 : 0o644)
        guard fd >= 0 else { throw POSIXFailure(what: "open \(show(path))") }
        defer { close(fd) }
        var offset = 0
        while offset < content.count {
            let count = content[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw POSIXFailure(what: "write \(show(path))") }
            offset += count
        }
        if executable { fchmod(fd, 0o755) }
    }

    static func put(_ root: String, _ path: String, _ content: String, executable: Bool = false) throws {
        try put(root, bytes(path), bytes(content), executable: executable)
    }

    // MARK: The comparison

    struct Pair {
        let ppds: String
        let git: String
    }

    /// Makes a worktree with `ppds start-work` and one with `git worktree add` at main's tip, with
    /// the same environment, and checks that they are the same in every byte.
    @discardableResult
    func compare(_ fixture: GitFixture, issue: Int = 1, environment: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Pair {
        let commit = try fixture.git("rev-parse", "main")
        let started = try fixture.ppds(["start-work", String(issue), "--offline", "--json", "--no-hooks", "--title", "interop \(issue)"],
                                       environment: environment)
        #expect(started.status == 0, "ppds start-work failed: \(started.stderr)\(started.stdout)", sourceLocation: sourceLocation)
        let item = try #require(((try? started.json())?["results"] as? [[String: Any]])?.first, sourceLocation: sourceLocation)
        let ours = try #require(item["worktree"] as? String, "no worktree: \(item)", sourceLocation: sourceLocation)
        let theirs = fixture.folder.file("git-made-\(issue)")
        let added = try runProcess("/usr/bin/git", ["worktree", "add", "-q", "-b", "git-made-\(issue)", theirs, commit],
                                   in: fixture.repo, environment: environment)
        #expect(added.status == 0, "git worktree add failed: \(added.stderr)", sourceLocation: sourceLocation)

        let mine = try Self.snapshot(ours), reference = try Self.snapshot(theirs)
        for path in Set(mine.keys).union(reference.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let ppdsEntry = mine[path].map { "\($0)" } ?? "missing", gitEntry = reference[path].map { "\($0)" } ?? "missing"
            #expect(mine[path] == reference[path], "\(Self.show(path)): ppds \(ppdsEntry), git \(gitEntry)", sourceLocation: sourceLocation)
        }
        func git(_ arguments: [String], in directory: String) throws -> String {
            let result = try runProcess("/usr/bin/git", arguments, in: directory, environment: environment)
            #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return result.stdout
        }
        #expect(try git(["ls-files", "-s"], in: ours) == (try git(["ls-files", "-s"], in: theirs)), sourceLocation: sourceLocation)
        #expect(try git(["status", "--porcelain", "--ignored", "--untracked-files=all"], in: ours) == "", sourceLocation: sourceLocation)
        #expect(try git(["status", "--porcelain", "--ignored", "--untracked-files=all"], in: theirs) == "", sourceLocation: sourceLocation)
        #expect(try git(["write-tree"], in: ours) == (try git(["write-tree"], in: theirs)), sourceLocation: sourceLocation)
        #expect(try git(["rev-parse", "HEAD"], in: ours).trimmingCharacters(in: .whitespacesAndNewlines) == commit, sourceLocation: sourceLocation)
        // The index is usable without rehashing: git's own diff sees no change either.
        #expect(try git(["diff", "--stat", "HEAD"], in: ours) == "", sourceLocation: sourceLocation)
        // Per-worktree config (extensions.worktreeConfig) is copied the same way.
        func worktreeConfig(_ worktree: String) throws -> Data? {
            let gitDir = try git(["rev-parse", "--absolute-git-dir"], in: worktree).trimmingCharacters(in: .whitespacesAndNewlines)
            return FileManager.default.contents(atPath: gitDir + "/config.worktree")
        }
        #expect(try worktreeConfig(ours) == (try worktreeConfig(theirs)), sourceLocation: sourceLocation)
        return Pair(ppds: ours, git: theirs)
    }

    func commitAll(_ fixture: GitFixture, _ message: String = "fixture", environment: [String: String] = [:]) throws {
        try runProcess("/usr/bin/git", ["add", "-A"], in: fixture.repo, environment: environment).check()
        try runProcess("/usr/bin/git", ["commit", "-q", "-m", message], in: fixture.repo, environment: environment).check()
    }

    /// Contents that exercise git's text heuristics and ident expansion.
    static let contents: [(String, [UInt8])] = [
        ("lf", bytes("one\ntwo\n")),
        ("crlf", bytes("one\r\ntwo\r\n")),
        ("mixed", bytes("one\r\ntwo\nthree\n")),
        ("lonecr", bytes("one\rtwo\nthree\n")),
        ("nul", [0x61, 0x00, 0x62, 0x0a, 0x63, 0x0a]),
        ("ctrlz", bytes("one\ntwo\n") + [0x1a]),
        ("controls", [0x01, 0x02, 0x03, 0x0a, 0x04, 0x05, 0x0a] + bytes("abc\n")),
        ("empty", []),
        ("nonewline", bytes("no newline at the end")),
        ("crlast", bytes("ends with cr\r")),
        ("ident", bytes("$Id$\nplain\n")),
        ("identold", bytes("$Id: 0123456789012345678901234567890123456789 $\n")),
        ("identforeign", bytes("$Id: foo bar $\n$Id:x y$\n$Id:\tz$\n")),
        ("identodd", bytes("$$Id$ $I$Id$ $Id:$ $Id:a\n$ $Id\u{0}$ x$Id:y$z\n")),
        ("identunclosed", bytes("text $Id: never closed\n")),
    ]

    // MARK: 1. Paths are bytes

    @Test func nonUTF8AndUnicodeNamesAndSymlinkTargets() throws {
        let fixture = try GitFixture()
        let root = fixture.repo
        try Self.put(root, Self.bytes("caf") + [0xe9] + Self.bytes(".txt"), Self.bytes("latin-1 name\n"))
        try Self.put(root, Self.bytes("nfc-caf\u{e9}.txt"), Self.bytes("nfc\n"))
        try Self.put(root, Self.bytes("nfd-cafe\u{301}.txt"), Self.bytes("nfd\n"))
        try Self.put(root, Self.bytes("dir-") + [0xff, 0xfe] + Self.bytes("/inner.txt"), Self.bytes("in a non-UTF-8 folder\n"))
        try Self.put(root, Self.bytes("link-to-latin1"), link: Self.bytes("caf") + [0xe9] + Self.bytes(".txt"))
        try Self.put(root, Self.bytes("link-") + [0xe9], link: Self.bytes("README.md"))
        try Self.put(root, Self.bytes("dangling"), link: Self.bytes("../nowhere/") + [0x80, 0x81])
        try Self.put(root, "bin/tool.sh", "#!/bin/sh\necho hi\n", executable: true)
        try Self.put(root, "a/b/c/d/deep.txt", "deep\n")
        try commitAll(fixture)
        try compare(fixture)
    }

    @Test func submoduleGitlinkAndManyFiles() throws {
        let fixture = try GitFixture()
        for folder in 0..<6 {
            for file in 0..<30 { try Self.put(fixture.repo, "d\(folder)/f\(file).txt", "content \(folder) \(file)\n") }
        }
        try commitAll(fixture)
        let head = try fixture.git("rev-parse", "HEAD")
        try fixture.git("update-index", "--add", "--cacheinfo", "160000,\(head),vendor/sub")
        try fixture.git("commit", "-q", "-m", "gitlink")
        try compare(fixture)
    }

    // MARK: 2. eol=crlf and files that sort before .gitattributes

    @Test func textEolCRLFWithDotfiles() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "* text eol=crlf\n*.png binary\n")
        for name in [".clang-format", ".editorconfig", ".env", ".a", "-dash", "A.txt", "zz.txt", "sub/.hidden", "sub/x.txt"] {
            try Self.put(fixture.repo, name, "first\nsecond\n")
        }
        try Self.put(fixture.repo, Self.bytes("image.png"), [0x89, 0x50, 0x4e, 0x47, 0x0a, 0x00, 0x0a])
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("contents/\(name).txt"), content) }
        try commitAll(fixture)
        let pair = try compare(fixture)
        #expect(try Self.snapshot(pair.ppds)[Self.bytes(".clang-format")]?.bytes == Self.bytes("first\r\nsecond\r\n"))
        #expect(try Self.snapshot(pair.ppds)[Self.bytes(".gitattributes")]?.bytes == Self.bytes("* text eol=crlf\r\n*.png binary\r\n"))
    }

    // MARK: text=auto, eol, crlf, ident and core.autocrlf/core.eol: the whole matrix

    /// Every attribute spelling against every content, under every core.autocrlf × core.eol.
    @Test(arguments: [nil, "true", "false", "input"])
    func attributeAndConfigMatrix(autocrlf: String?) throws {
        let fixture = try GitFixture()
        let specs: [(String, String)] = [
            ("none", ""), ("text", "text"), ("notext", "-text"), ("auto", "text=auto"), ("eolcrlf", "eol=crlf"),
            ("eollf", "eol=lf"), ("textcrlf", "text eol=crlf"), ("textlf", "text eol=lf"), ("autocrlf", "text=auto eol=crlf"),
            ("autolf", "text=auto eol=lf"), ("crlfset", "crlf"), ("crlfunset", "-crlf"), ("crlfinput", "crlf=input"),
            ("binary", "binary"), ("identonly", "ident"), ("identtext", "ident text"), ("identauto", "ident text=auto"),
            ("identcrlf", "ident eol=crlf"), ("unspecified", "!text"),
        ]
        var attributes = ""
        for (index, (folder, spec)) in specs.enumerated() where !spec.isEmpty {
            if index % 2 == 0 {
                attributes += "/\(folder)/** \(spec)\n"
            } else {
                // Half the folders carry their own .gitattributes.
                try Self.put(fixture.repo, "\(folder)/.gitattributes", "* \(spec)\n")
            }
            for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("\(folder)/\(name)"), content) }
        }
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("none/\(name)"), content) }
        try Self.put(fixture.repo, ".gitattributes", attributes)
        try commitAll(fixture)
        for (issue, eol) in [nil, "lf", "crlf", "native"].enumerated() {
            var environment: [String: String] = [:]
            var pairs: [(String, String)] = []
            if let autocrlf { pairs.append(("core.autocrlf", autocrlf)) }
            if let eol { pairs.append(("core.eol", eol)) }
            // Half from the repository's config, half from the environment.
            if issue % 2 == 0 {
                for (key, value) in pairs { try fixture.git("config", key, value) }
            } else {
                environment["GIT_CONFIG_COUNT"] = String(pairs.count)
                for (index, (key, value)) in pairs.enumerated() {
                    environment["GIT_CONFIG_KEY_\(index)"] = key
                    environment["GIT_CONFIG_VALUE_\(index)"] = value
                }
            }
            try compare(fixture, issue: 10 + issue, environment: environment)
            if issue % 2 == 0 {
                for (key, _) in pairs { try fixture.git("config", "--unset", key) }
            }
        }
    }

    @Test func customMacroSubfolderOverridesAndInfoAttributes() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "[attr]windows text eol=crlf\n*.win windows\n*.txt text=auto\n")
        try Self.put(fixture.repo, "sub/.gitattributes", "*.txt -text\nkeep.win -text\n")
        for name in ["a.win", "a.txt", "sub/a.txt", "sub/keep.win", "sub/deeper/b.win", "info.dat", "plain.md"] {
            try Self.put(fixture.repo, name, "x\ny\n")
        }
        try commitAll(fixture)
        try FileManager.default.createDirectory(atPath: fixture.repo + "/.git/info", withIntermediateDirectories: true)
        try "*.dat text eol=crlf\n".write(toFile: fixture.repo + "/.git/info/attributes", atomically: true, encoding: .utf8)
        try compare(fixture)
    }

    @Test func identStreamingAndInCore() throws {
        let fixture = try GitFixture()
        // ident alone and with eol=crlf use git's streaming filters; with text=auto git converts
        // in memory, where $Id$ expansion differs in corner cases.
        try Self.put(fixture.repo, ".gitattributes", "*.s ident\n*.c ident eol=crlf\n*.a ident text=auto\n*.k ident filter=cleanonly\n")
        for (name, content) in Self.contents {
            for suffix in ["s", "c", "a", "k"] { try Self.put(fixture.repo, Self.bytes("\(name).\(suffix)"), content) }
        }
        try commitAll(fixture)
        // A driver with only a clean command: no smudge to run, but git takes its in-memory path.
        try fixture.git("config", "filter.cleanonly.clean", "cat")
        try compare(fixture)
    }

    @Test func symlinksOffWritesLinkTargetsAsFiles() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "* text eol=crlf\n")
        try Self.put(fixture.repo, Self.bytes("link"), link: Self.bytes("README.md"))
        try Self.put(fixture.repo, Self.bytes("latin1-link"), link: Self.bytes("caf") + [0xe9])
        try commitAll(fixture)
        try fixture.git("config", "core.symlinks", "false")
        try compare(fixture)
    }

    @Test func perWorktreeConfigIsCopiedAndApplied() throws {
        let fixture = try GitFixture()
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture)
        try fixture.git("config", "extensions.worktreeConfig", "true")
        try fixture.git("config", "--worktree", "core.autocrlf", "true")
        try fixture.git("config", "--worktree", "core.worktree", fixture.repo)
        try fixture.git("config", "--worktree", "user.note", "copied")
        try compare(fixture)
    }

    @Test func sparseCheckoutIsRefused() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, "a/one.txt", "one\n")
        try Self.put(fixture.repo, "b/two.txt", "two\n")
        try commitAll(fixture)
        try fixture.git("sparse-checkout", "set", "a")
        let result = try fixture.ppds(["start-work", "1", "--offline", "--no-hooks", "--title", "sparse"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("sparse"), "\(result.stderr)")
        #expect(try fixture.worktreePaths() == [fixture.repo])
        #expect(try fixture.siblings().isEmpty)
        #expect(try fixture.git("branch", "--list") == "* main")
    }

    /// Large files cross the reader's and writer's buffers mid-line and mid-keyword; objects are
    /// read from loose files (streamed) and from a pack (through libgit2).
    @Test(arguments: [false, true])
    func largeFilesLooseAndPacked(packed: Bool) throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.crlf text eol=crlf\n*.id ident\n*.both ident eol=crlf\n*.auto text=auto eol=crlf\n")
        var big: [UInt8] = []
        var line = 0
        while big.count < 3 * 1024 * 1024 + 17 {
            big += Array("line \(line) $Id$ with some words, \(line % 7 == 0 ? "$Id: x $" : "plain")\n".utf8)
            line += 1
        }
        for suffix in ["crlf", "id", "both", "auto", "raw"] { try Self.put(fixture.repo, Self.bytes("big.\(suffix)"), big) }
        try Self.put(fixture.repo, Self.bytes("zeros.bin"), [UInt8](repeating: 0, count: 2 * 1024 * 1024))
        try commitAll(fixture)
        if packed { try fixture.git("repack", "-adq") }
        try compare(fixture)
    }

    /// Bulk start-work inflates each packed blob once and writes it into every worktree: the
    /// same blob under different conversions must still come out as git writes each.
    @Test func bulkOnAPackedRepositoryStaysExact() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.crlf text eol=crlf\n*.id ident\n")
        for (name, content) in Self.contents {
            for suffix in ["crlf", "id", "raw"] { try Self.put(fixture.repo, Self.bytes("contents/\(name).\(suffix)"), content) }
        }
        try commitAll(fixture)
        try fixture.git("repack", "-adq")
        let commit = try fixture.git("rev-parse", "main")
        let (result, items) = try fixture.startWork(["1", "2", "3", "4", "--jobs", "2", "--no-hooks"])
        try result.check()
        let reference = fixture.folder.file("git-made")
        try fixture.git("worktree", "add", "-q", "-b", "git-made", reference, commit)
        let expected = try Self.snapshot(reference)
        #expect(items.count == 4)
        for item in items {
            let worktree = try #require(item["worktree"] as? String)
            let mine = try Self.snapshot(worktree)
            for path in Set(mine.keys).union(expected.keys) where mine[path] != expected[path] {
                Issue.record("\(worktree): \(Self.show(path)) differs from git's")
            }
            #expect(try fixture.git("status", "--porcelain", "--ignored", "--untracked-files=all", in: worktree) == "")
        }
    }

    // MARK: Attributes that change no bytes

    @Test func linguistOnlyAttributes() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", """
            *.js linguist-vendored
            docs/** linguist-documentation
            *.png -diff -text
            *.bin binary
            *.lock -merge merge=ours
            /release export-ignore
            *.md diff=markdown

            """)
        try Self.put(fixture.repo, "app.js", "var x = 1;\r\n")
        try Self.put(fixture.repo, "docs/guide.md", "guide\n")
        try Self.put(fixture.repo, Self.bytes("logo.png"), [0x89, 0x50, 0x0d, 0x0a, 0x1a, 0x0a, 0x00])
        try Self.put(fixture.repo, Self.bytes("data.bin"), [0x00, 0x0a, 0x0d, 0x0a])
        try Self.put(fixture.repo, "release/notes.txt", "notes\n")
        try commitAll(fixture)
        try compare(fixture)
    }

    // MARK: 6. Config only the environment carries

    @Test func autocrlfFromGitConfigGlobal() throws {
        let fixture = try GitFixture()
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture)
        let global = fixture.folder.file("global.gitconfig")
        try "[core]\n\tautocrlf = true\n".write(toFile: global, atomically: true, encoding: .utf8)
        try compare(fixture, environment: ["GIT_CONFIG_GLOBAL": global])
    }

    @Test func autocrlfFromGitConfigCount() throws {
        let fixture = try GitFixture()
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture)
        try compare(fixture, environment: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.autocrlf", "GIT_CONFIG_VALUE_0": "true"])
    }

    @Test func autocrlfFromGitConfigParameters() throws {
        let fixture = try GitFixture()
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture)
        // A later entry wins; the old 'key=value' spelling is read too.
        try compare(fixture, issue: 1, environment: ["GIT_CONFIG_PARAMETERS": "'core.autocrlf'='false' 'core.autocrlf'='true'"])
        try compare(fixture, issue: 2, environment: ["GIT_CONFIG_PARAMETERS": "'core.autocrlf=true'"])
        // GIT_CONFIG_PARAMETERS comes after GIT_CONFIG_COUNT.
        try compare(fixture, issue: 3, environment: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.autocrlf", "GIT_CONFIG_VALUE_0": "true",
                                                     "GIT_CONFIG_PARAMETERS": "'core.autocrlf'='false'"])
    }

    /// git follows conditional includes (here on the worktree's git folder); ppds cannot tell
    /// where they lead for a worktree that does not exist yet, so one that sets a key that changes
    /// checkouts makes it git's checkout.
    @Test func conditionalIncludeThatSetsAutocrlf() throws {
        let fixture = try GitFixture()
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture)
        let included = fixture.folder.file("included.gitconfig")
        try "[core]\n\tautocrlf = true\n".write(toFile: included, atomically: true, encoding: .utf8)
        let unrelated = fixture.folder.file("unrelated.gitconfig")
        try "[user]\n\tnote = x\n".write(toFile: unrelated, atomically: true, encoding: .utf8)
        let global = fixture.folder.file("global.gitconfig")
        try """
            [includeIf "gitdir:\(fixture.folder.path)/"]
            \tpath = \(included)
            [includeIf "gitdir:/nowhere/"]
            \tpath = \(unrelated)

            """.write(toFile: global, atomically: true, encoding: .utf8)
        try compare(fixture, issue: 1, environment: ["GIT_CONFIG_GLOBAL": global])
        // Without the key in the included file, ppds writes the files itself; the result is the same.
        try "[core]\n\tautocrlf = false\n".write(toFile: global, atomically: true, encoding: .utf8)
        try compare(fixture, issue: 2, environment: ["GIT_CONFIG_GLOBAL": global])
    }

    @Test func globalAttributesFileFromGitConfigGlobal() throws {
        let fixture = try GitFixture()
        let attributes = fixture.folder.file("global.attributes")
        try "* text eol=crlf\n".write(toFile: attributes, atomically: true, encoding: .utf8)
        let global = fixture.folder.file("global.gitconfig")
        try "[core]\n\tattributesFile = \(attributes)\n".write(toFile: global, atomically: true, encoding: .utf8)
        // Committed under the same attributes, so both worktrees are clean.
        for (name, content) in Self.contents { try Self.put(fixture.repo, Self.bytes("c/\(name)"), content) }
        try commitAll(fixture, environment: ["GIT_CONFIG_GLOBAL": global])
        try compare(fixture, issue: 1, environment: ["GIT_CONFIG_GLOBAL": global])
        // And only through GIT_CONFIG_COUNT.
        try compare(fixture, issue: 2, environment: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.attributesFile", "GIT_CONFIG_VALUE_0": attributes])
    }

    // MARK: 3, 4. What only git can do: handed to the git CLI

    @Test func workingTreeEncoding() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.ps1 text working-tree-encoding=UTF-16LE-BOM eol=crlf\n")
        try Self.put(fixture.repo, "script.ps1", "Write-Host \"h\u{e9}llo\"\n")
        try Self.put(fixture.repo, "plain.txt", "plain\n")
        try commitAll(fixture)
        let pair = try compare(fixture)
        // git wrote UTF-16LE with a BOM (FF FE) and CRLF.
        #expect(try Self.snapshot(pair.ppds)[Self.bytes("script.ps1")]?.bytes.prefix(2) == [0xff, 0xfe])
    }

    @Test func smudgeFilter() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.up filter=upper\n")
        try Self.put(fixture.repo, "shout.up", "quiet words\n")
        try Self.put(fixture.repo, "plain.txt", "plain words\n")
        try commitAll(fixture)
        try fixture.git("config", "filter.upper.smudge", "tr a-z A-Z")
        try fixture.git("config", "filter.upper.clean", "tr A-Z a-z")
        let pair = try compare(fixture)
        #expect(try Self.snapshot(pair.ppds)[Self.bytes("shout.up")]?.bytes == Self.bytes("QUIET WORDS\n"))
    }

    @Test func aCheckoutOnlyGitCanDoIsRefusedWhenGitIsMissing() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.up filter=upper\n")
        try Self.put(fixture.repo, "shout.up", "quiet words\n")
        try commitAll(fixture)
        try fixture.git("config", "filter.upper.smudge", "tr a-z A-Z")
        let result = try fixture.ppds(["start-work", "1", "--offline", "--no-hooks", "--title", "no git"], environment: ["PATH": "/nonexistent"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("filter.upper"), "\(result.stderr)")
        #expect(result.stderr.contains("shout.up"), "\(result.stderr)")
        #expect(result.stderr.contains("git"), "\(result.stderr)")
        #expect(try fixture.worktreePaths() == [fixture.repo])
        #expect(try fixture.siblings().isEmpty)
        #expect(try fixture.git("branch", "--list") == "* main")
    }

    @Test func aRequiredFilterThatFailsInGitLeavesNothingBehind() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.x filter=broken\n")
        try Self.put(fixture.repo, "data.x", "data\n")
        try commitAll(fixture)
        try fixture.git("config", "filter.broken.smudge", "false")
        try fixture.git("config", "filter.broken.required", "true")
        let byGit = try runProcess("/usr/bin/git", ["worktree", "add", "-q", "-b", "by-git", fixture.folder.file("by-git"), "main"], in: fixture.repo)
        #expect(byGit.status != 0)
        _ = try? fixture.git("branch", "-D", "by-git")
        let result = try fixture.ppds(["start-work", "1", "--offline", "--no-hooks", "--title", "broken"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("smudge filter broken failed"), "\(result.stderr)")
        #expect(try fixture.worktreePaths() == [fixture.repo])
        #expect(try fixture.siblings().isEmpty)
        #expect(try fixture.git("branch", "--list") == "* main")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.repo + "/.git/worktrees")) ?? []).isEmpty)
    }

    // MARK: 5. git-lfs required but not installed

    @Test func lfsRequiredButNotInstalledIsRefused() throws {
        let fixture = try GitFixture()
        try Self.put(fixture.repo, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
        try Self.put(fixture.repo, "model.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
        try commitAll(fixture)
        try fixture.git("config", "filter.lfs.process", "git-lfs filter-process")
        try fixture.git("config", "filter.lfs.smudge", "git-lfs smudge -- %f")
        try fixture.git("config", "filter.lfs.clean", "git-lfs clean -- %f")
        try fixture.git("config", "filter.lfs.required", "true")
        let path = "/usr/bin:/bin"
        let byGit = try runProcess("/usr/bin/git", ["worktree", "add", "-q", "-b", "by-git", fixture.folder.file("by-git"), "main"],
                                   in: fixture.repo, environment: ["PATH": path])
        #expect(byGit.status != 0)
        _ = try? fixture.git("branch", "-D", "by-git")
        let result = try fixture.ppds(["start-work", "1", "--offline", "--no-hooks", "--title", "lfs"], environment: ["PATH": path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("lfs"), "\(result.stderr)")
        #expect(result.stderr.contains("model.bin"), "\(result.stderr)")
        #expect(result.stderr.contains("git-lfs"), "\(result.stderr)")
        #expect(try fixture.worktreePaths() == [fixture.repo])
        #expect(try fixture.siblings().isEmpty)
        #expect(try fixture.git("branch", "--list") == "* main")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.repo + "/.git/worktrees")) ?? []).isEmpty)
    }
}
