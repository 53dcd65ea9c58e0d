import Foundation
import Testing
import TestSupport
import GitKit
import Support

@Suite struct RepositoryTests {
    @Test func discoversFromSubfolderAndLinkedWorktree() throws {
        let fixture = try GitFixture()
        let fromSub = try Repository.discover(from: fixture.repo + "/src")
        #expect(fromSub.workdir == fixture.repo)
        #expect(!fromSub.isWorktree)

        try fixture.git("worktree", "add", "-q", "-b", "side", fixture.folder.file("side"))
        try FileManager.default.createDirectory(atPath: fixture.folder.file("side/src/deep"), withIntermediateDirectories: true)
        let linked = try Repository.discover(from: fixture.folder.file("side/src/deep"))
        #expect(linked.isWorktree)
        #expect(linked.workdir == fixture.folder.file("side"))
        let main = try linked.mainRepository()
        #expect(main.workdir == fixture.repo)
        #expect(main.commonDir == fixture.repo + "/.git")
    }

    @Test func notARepositoryIsTyped() throws {
        let folder = TemporaryFolder()
        #expect(throws: GitError.self) { try Repository.open(at: folder.path) }
        do {
            _ = try Repository.discover(from: folder.path)
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .notARepository)
            #expect(error.subject == folder.path)
        }
    }

    @Test func resolvesRevisionsAndTrees() throws {
        let fixture = try GitFixture()
        let repo = try Repository.open(at: fixture.repo)
        let head = try repo.resolveCommit("main")
        #expect(head.hex == (try fixture.git("rev-parse", "main")))
        #expect(try repo.treeID(ofCommit: head).hex == (try fixture.git("rev-parse", "main^{tree}")))
        do {
            _ = try repo.resolveCommit("no-such-ref")
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.subject == "no-such-ref")
            #expect(error.code != nil)
        }
    }

    @Test func opensRepositoryWithWorktreeConfigExtension() throws {
        let fixture = try GitFixture()
        try fixture.git("config", "core.repositoryformatversion", "1")
        try fixture.git("config", "extensions.worktreeConfig", "true")
        let repo = try Repository.open(at: fixture.repo)
        #expect(try repo.resolveCommit("HEAD").hex == (try fixture.git("rev-parse", "HEAD")))
    }
}

/// Issue #19: libgit2's text is said in the product's words; its own words stay in `detail`.
@Suite struct GitErrorWordsTests {
    @Test func libgit2TextIsTranslatedAndKeptAsDetail() throws {
        var error = GitError(.libgit2, "add worktree", "/x", code: -1, message: "reference is already checked out")
        error.fromLibgit2 = true
        #expect(error.description == "could not add worktree '/x': the branch is checked out in another worktree")
        #expect(error.detail.contains("reference is already checked out (libgit2 -1)"))
        var unknown = GitError(.libgit2, "read", "y", code: -1, message: "zlib went sideways")
        unknown.fromLibgit2 = true
        #expect(!unknown.description.contains("zlib"))
        let ours = GitError(.invalidName, "create branch", "a..b", message: "not a valid branch name")
        #expect(ours.description == "create branch 'a..b': not a valid branch name")
    }
}
