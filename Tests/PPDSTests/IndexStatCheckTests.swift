import Foundation
import Testing
import TestSupport
import GitKit

/// The fast dirty check (index stat data, hashing on mismatch) against libgit2's full status
/// and `git status --porcelain` on the same worktree, made by `git worktree add` and by ppds.
/// The fast check may only ever prove "clean"; every change must still be reported.
@Suite struct IndexStatCheckTests {
    enum Maker: String, CaseIterable, Sendable { case git, ppds }

    enum Case: String, CaseIterable, Sendable {
        case clean, touchedSameContent, indexOlderThanFiles, editWithIndexOlder
        case sameSizeEditMtimeRestored, chmodX, replacedBySymlink, symlinkRetargeted, deleted
        case untrackedFile, untrackedInNewFolder, emptyNewFolder, ignoredFile, ignoredFolder, ignoredNestedRepo
        case untrackedNestedRepo, negatedIgnore, excludedByInfoExclude
        case skipWorktreeEdit, assumeUnchangedEdit, skipWorktreeSame, stagedOnly, stagedThenRestored, intentToAdd
        case trackedFolderReplacedBySymlink, fileReplacedByFolder
        case autocrlfTouched, eolAttributeTouched, autocrlfEditedLineEndingsOnly
        case submoduleNotInitialised, submoduleInitialised, submoduleNewCommit, submoduleEdited
        case ignoredInTrackedFolder, nonUTF8Untracked
        case racyRewrite, deepClean, deepUntracked, deepDeleted, deepFolderEmptied

        /// What the check must say beyond `git status --porcelain` (edits hidden by flags).
        var hiddenEdit: Bool { self == .skipWorktreeEdit || self == .assumeUnchangedEdit }
        /// The cases the fast check should prove clean by itself (no libgit2 status).
        var fastClean: Bool {
            switch self {
            case .clean, .touchedSameContent, .indexOlderThanFiles, .ignoredFile, .ignoredFolder, .ignoredNestedRepo,
                 .excludedByInfoExclude, .skipWorktreeSame, .stagedThenRestored, .autocrlfTouched, .eolAttributeTouched,
                 .submoduleNotInitialised, .ignoredInTrackedFolder, .deepClean: true
            default: false
            }
        }
    }

    static let all = Maker.allCases.flatMap { maker in Case.allCases.map { (maker, $0) } }

    @Test("fast check agrees with libgit2 and git", arguments: all)
    func agrees(_ maker: Maker, _ scenario: Case) throws {
        let fixture = try GitFixture()
        try prepareRepository(fixture, scenario)
        let worktree = try makeWorktree(fixture, maker)
        try apply(scenario, fixture: fixture, worktree: worktree)

        let repository = try Repository.open(at: fixture.repo)
        let name = try #require(try repository.worktrees().first { $0.path == worktree || canonical($0.path) == canonical(worktree) }?.name)
        let fast = repository.provenCleanStatus(name: name, folder: worktree, includeIgnored: true)
        let status = try repository.worktreeStatus(name: name, folder: worktree, includeIgnored: true)
        let slow = try repository.workingTreeStatus(at: worktree, includeIgnored: true)
        let porcelain = try fixture.git("status", "--porcelain", in: worktree)

        var comparable = status
        comparable.submoduleFoldersEmpty = false
        #expect(comparable == slow, "\(maker) \(scenario): fast \(String(describing: fast)) full \(status) slow \(slow)")
        let gitDirty = !porcelain.isEmpty
        #expect(status.isDirty == (gitDirty || scenario.hiddenEdit), "\(maker) \(scenario): git says '\(porcelain)', ppds \(status)")
        if gitDirty || scenario.hiddenEdit { #expect(fast == nil, "\(maker) \(scenario): the fast check called a dirty worktree clean") }
        if scenario.fastClean { #expect(fast != nil, "\(maker) \(scenario): expected the fast check to prove it clean") }
    }

    func canonical(_ path: String) -> String { (path as NSString).resolvingSymlinksInPath }

    func prepareRepository(_ fixture: GitFixture, _ scenario: Case) throws {
        switch scenario {
        case .autocrlfTouched, .autocrlfEditedLineEndingsOnly:
            try fixture.git("config", "core.autocrlf", "true")
            try fixture.commit("crlf.txt", "one\ntwo\nthree\n")
        case .eolAttributeTouched:
            try fixture.commit(".gitattributes", "*.txt eol=crlf\n")
            try fixture.commit("crlf.txt", "one\ntwo\nthree\n")
        case .replacedBySymlink, .symlinkRetargeted:
            try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/link", withDestinationPath: "README.md")
            try fixture.git("add", "link")
            try fixture.git("commit", "-q", "-m", "link")
        case .ignoredFile, .ignoredFolder, .ignoredNestedRepo, .negatedIgnore, .ignoredInTrackedFolder:
            try fixture.commit(".gitignore", "*.log\nbuild/\n!keep.log\n")
        case .deepClean, .deepUntracked, .deepDeleted, .deepFolderEmptied:
            // Names that sort around the folder separator: "a-b.txt" < "a/…" < "a0.txt".
            for file in ["a-b.txt", "a/b.txt", "a/b/c.txt", "a/b/d/e.txt", "a/z/y.txt", "a0.txt", "a.txt"] {
                try FileManager.default.createDirectory(atPath: (fixture.repo + "/" + file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try write(file + "\n", fixture.repo + "/" + file)
            }
            try fixture.git("add", "-A")
            try fixture.git("commit", "-q", "-m", "deep")
        case .submoduleNotInitialised, .submoduleInitialised, .submoduleNewCommit, .submoduleEdited:
            let library = fixture.folder.file("library")
            try fixture.git("init", "-q", "-b", "main", library)
            try fixture.commit("lib.txt", "lib\n", in: library)
            try fixture.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "lib")
            try fixture.git("commit", "-q", "-m", "submodule")
        default:
            break
        }
    }

    func makeWorktree(_ fixture: GitFixture, _ maker: Maker) throws -> String {
        switch maker {
        case .git:
            let path = fixture.folder.file("wt-git")
            try fixture.git("worktree", "add", "-q", "-b", "wt-git", path, "main")
            return path
        case .ppds:
            return try fixture.started(1, title: "Fast check").worktree
        }
    }

    func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

    func apply(_ scenario: Case, fixture: GitFixture, worktree: String) throws {
        let app = worktree + "/src/app.txt"
        let index = try fixture.git("rev-parse", "--git-path", "index", in: worktree)
        let indexPath = index.hasPrefix("/") ? index : worktree + "/" + index
        switch scenario {
        case .clean:
            break
        case .touchedSameContent:
            try fixture.git("update-index", "--refresh", in: worktree)
            Thread.sleep(forTimeInterval: 0.01)
            try runProcess("/usr/bin/touch", [app]).check()
        case .indexOlderThanFiles:
            try runProcess("/usr/bin/touch", ["-d", "2001-01-01", indexPath]).check()
        case .editWithIndexOlder:
            try runProcess("/usr/bin/touch", ["-d", "2001-01-01", indexPath]).check()
            let before = try runProcess("/usr/bin/stat", ["-c", "%y", app]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try write(try String(contentsOfFile: app, encoding: .utf8).replacingOccurrences(of: "line 1\n", with: "LINE 1\n"), app)
            try runProcess("/usr/bin/touch", ["-d", before, app]).check()
        case .sameSizeEditMtimeRestored:
            let before = try runProcess("/usr/bin/stat", ["-c", "%y", app]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try write(try String(contentsOfFile: app, encoding: .utf8).replacingOccurrences(of: "line 2\n", with: "LINE 2\n"), app)
            try runProcess("/usr/bin/touch", ["-d", before, app]).check()
        case .chmodX:
            try runProcess("/bin/chmod", ["+x", app]).check()
        case .replacedBySymlink:
            try FileManager.default.removeItem(atPath: app)
            try FileManager.default.createSymbolicLink(atPath: app, withDestinationPath: "../README.md")
        case .symlinkRetargeted:
            try FileManager.default.removeItem(atPath: worktree + "/link")
            try FileManager.default.createSymbolicLink(atPath: worktree + "/link", withDestinationPath: "READMF.md")
        case .deleted:
            try FileManager.default.removeItem(atPath: app)
        case .untrackedFile:
            try write("new\n", worktree + "/new.txt")
        case .untrackedInNewFolder:
            try FileManager.default.createDirectory(atPath: worktree + "/docs/deep", withIntermediateDirectories: true)
            try write("new\n", worktree + "/docs/deep/new.txt")
        case .emptyNewFolder:
            try FileManager.default.createDirectory(atPath: worktree + "/empty", withIntermediateDirectories: true)
        case .ignoredFile:
            try write("log\n", worktree + "/src/debug.log")
        case .ignoredFolder:
            try FileManager.default.createDirectory(atPath: worktree + "/build/obj", withIntermediateDirectories: true)
            try write("o\n", worktree + "/build/obj/a.o")
        case .ignoredNestedRepo:
            try FileManager.default.createDirectory(atPath: worktree + "/build", withIntermediateDirectories: true)
            try fixture.git("init", "-q", worktree + "/build/clone")
        case .untrackedNestedRepo:
            try fixture.git("init", "-q", worktree + "/vendor/clone")
            try fixture.commit("x.txt", "x\n", in: worktree + "/vendor/clone")
        case .negatedIgnore:
            try write("kept\n", worktree + "/keep.log")
        case .excludedByInfoExclude:
            try write("secret\n", fixture.repo + "/.git/info/exclude")
            try write("s\n", worktree + "/secret")
        case .skipWorktreeEdit:
            try fixture.git("update-index", "--skip-worktree", "src/app.txt", in: worktree)
            try write("hidden edit\n", app)
        case .assumeUnchangedEdit:
            try fixture.git("update-index", "--assume-unchanged", "src/app.txt", in: worktree)
            try write("hidden edit\n", app)
        case .skipWorktreeSame:
            try fixture.git("update-index", "--skip-worktree", "src/app.txt", in: worktree)
            try runProcess("/usr/bin/touch", [app]).check()
        case .stagedOnly:
            try write("staged\n", app)
            try fixture.git("add", "src/app.txt", in: worktree)
        case .stagedThenRestored:
            let original = try String(contentsOfFile: app, encoding: .utf8)
            try write("staged\n", app)
            try fixture.git("add", "src/app.txt", in: worktree)
            try write(original, app)
            try fixture.git("add", "src/app.txt", in: worktree)
        case .intentToAdd:
            try write("new\n", worktree + "/planned.txt")
            try fixture.git("add", "-N", "planned.txt", in: worktree)
        case .trackedFolderReplacedBySymlink:
            try FileManager.default.moveItem(atPath: worktree + "/src", toPath: worktree + "/src-real")
            try FileManager.default.createSymbolicLink(atPath: worktree + "/src", withDestinationPath: "src-real")
            _ = try fixture.gitResult(["update-index", "--refresh"], in: worktree)
        case .fileReplacedByFolder:
            try FileManager.default.removeItem(atPath: worktree + "/README.md")
            try FileManager.default.createDirectory(atPath: worktree + "/README.md", withIntermediateDirectories: true)
            try write("x\n", worktree + "/README.md/inner")
        case .autocrlfTouched, .eolAttributeTouched:
            Thread.sleep(forTimeInterval: 0.01)
            try runProcess("/usr/bin/touch", [worktree + "/crlf.txt"]).check()
        case .submoduleNotInitialised:
            break
        case .submoduleInitialised, .submoduleNewCommit, .submoduleEdited:
            try fixture.git("-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init", in: worktree)
            if scenario == .submoduleNewCommit { try fixture.commit("local.txt", "local\n", in: worktree + "/lib") }
            if scenario == .submoduleEdited { try write("edited\n", worktree + "/lib/lib.txt") }
        case .ignoredInTrackedFolder:
            try FileManager.default.createDirectory(atPath: worktree + "/src/build", withIntermediateDirectories: true)
            try write("o\n", worktree + "/src/build/x.o")
            try write("log\n", worktree + "/src/trace.log")
        case .nonUTF8Untracked:
            let name = Array((worktree + "/caf").utf8) + [0xE9] + Array(".txt".utf8)
            let fd = name.withUnsafeBufferPointer { buffer in
                (Array(buffer) + [0]).withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            }
            #expect(fd >= 0)
            close(fd)
        case .racyRewrite:
            // The same size, written right after the index: within one timestamp tick the
            // stat data can match exactly, and only the racy rule catches it.
            let original = try String(contentsOfFile: app, encoding: .utf8)
            try write(original, app)
            try fixture.git("update-index", "--refresh", in: worktree)
            try write(original.replacingOccurrences(of: "line 1\n", with: "LINE 1\n"), app)
        case .deepClean:
            break
        case .deepUntracked:
            try write("new\n", worktree + "/a/b/d/new.txt")
        case .deepDeleted:
            try FileManager.default.removeItem(atPath: worktree + "/a/b/d/e.txt")
        case .deepFolderEmptied:
            try FileManager.default.removeItem(atPath: worktree + "/a/z/y.txt")
        case .autocrlfEditedLineEndingsOnly:
            try write("one\ntwo\nthree\n", worktree + "/crlf.txt")
        }
    }
}
