import Foundation
import Testing
import TestSupport
import GitKit
import Support

/// New worktrees written by ppds itself must be exactly what git would check out.
@Suite struct DirectCheckoutTests {
    func addAndCompare(_ fixture: GitFixture) throws -> String {
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("check", at: try repo.resolveCommit("main"))
        let path = fixture.folder.file("check")
        try repo.addWorktree(name: "check", path: path, branch: "check")
        #expect(try fixture.git("status", "--porcelain", "--ignored", in: path).isEmpty)
        #expect(try fixture.git("ls-files", "-s", in: path) == (try fixture.git("ls-files", "-s")))
        #expect(try fixture.git("diff", "--stat", "HEAD", in: path).isEmpty)
        #expect(try fixture.git("rev-parse", "--abbrev-ref", "HEAD", in: path) == "check")
        return path
    }

    @Test func modesSymlinksAndNestedFolders() throws {
        let fixture = try GitFixture()
        try fixture.commit("bin/tool.sh", "#!/bin/sh\necho hi\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.repo + "/bin/tool.sh")
        try FileManager.default.createSymbolicLink(atPath: fixture.repo + "/link-to-readme", withDestinationPath: "README.md")
        try fixture.commit("a/b/c/d/deep.txt", "deep\n")
        try fixture.git("add", "-A")
        #expect(try fixture.git("ls-files", "-s", "bin/tool.sh").hasPrefix("100755"))
        try fixture.git("commit", "-q", "-m", "modes")
        let path = try addAndCompare(fixture)
        #expect(FileManager.default.isExecutableFile(atPath: path + "/bin/tool.sh"))
        #expect(!FileManager.default.isExecutableFile(atPath: path + "/README.md"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/link-to-readme") == "README.md")
        #expect(try String(contentsOfFile: path + "/a/b/c/d/deep.txt", encoding: .utf8) == "deep\n")
    }

    @Test func eolAttributesAreAppliedByTheDirectWriter() throws {
        let fixture = try GitFixture()
        try fixture.commit(".gitattributes", "*.txt text eol=crlf\n")
        try fixture.commit("notes.txt", "one\ntwo\n")
        let path = try addAndCompare(fixture)
        // The eol attribute was applied, as git's own checkout would.
        #expect(try String(contentsOfFile: path + "/notes.txt", encoding: .utf8) == "one\r\ntwo\r\n")
    }

    @Test func aCheckoutOnlyGitCanDoIsRefusedWithoutAnExternalCheckout() throws {
        let fixture = try GitFixture()
        try fixture.commit(".gitattributes", "*.up filter=upper\n*.u16 working-tree-encoding=UTF-16\n")
        try fixture.commit("shout.up", "quiet\n")
        try fixture.git("config", "filter.upper.smudge", "tr a-z A-Z")
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("check", at: try repo.resolveCommit("main"))
        let path = fixture.folder.file("check")
        do {
            try repo.addWorktree(name: "check", path: path, branch: "check")
            Issue.record("the add should have been refused")
        } catch {
            #expect(error.message.contains("'shout.up' uses filter 'upper' (filter.upper.smudge)"), "\(error)")
            #expect(error.message.contains("nothing was created"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: fixture.repo + "/.git/worktrees/check"))
    }

    /// Records what it was asked and writes the files with the git CLI, as the lifecycle layer does.
    final class RecordingCheckout: ExternalCheckout, @unchecked Sendable {
        var prepared: [ExternalCheckoutRequest] = []
        var refuse = false
        func prepare(_ request: ExternalCheckoutRequest) throws(GitError) {
            prepared.append(request)
            if refuse { throw GitError(.precondition, "add worktree", "test", message: "refused by the test") }
        }
        func checkout(_ request: ExternalCheckoutRequest, worktree: String, gitDir: String) throws(GitError) {
            let result = try? runProcess("/usr/bin/git", ["reset", "--hard", "--no-recurse-submodules", "--quiet"], in: worktree,
                                         environment: ["GIT_DIR": gitDir, "GIT_WORK_TREE": worktree])
            guard result?.status == 0 else { throw GitError(.precondition, "add worktree", worktree, message: result?.stderr ?? "") }
        }
    }

    @Test func anExternalCheckoutIsAskedFirstAndCanRefuse() throws {
        let fixture = try GitFixture()
        try fixture.commit(".gitattributes", "*.up filter=upper\n*.lfs filter=lfs\n")
        try fixture.commit("shout.up", "quiet\n")
        try fixture.commit("big.lfs", "pointer\n")
        try fixture.git("config", "filter.upper.smudge", "tr a-z A-Z")
        try fixture.git("config", "filter.upper.clean", "tr A-Z a-z")
        try fixture.git("config", "filter.lfs.process", "git-lfs filter-process")
        try fixture.git("config", "filter.lfs.required", "true")
        let repo = try Repository.open(at: fixture.repo)
        try repo.createBranch("check", at: try repo.resolveCommit("main"))
        let external = RecordingCheckout()
        external.refuse = true
        let path = fixture.folder.file("check")
        #expect(throws: GitError.self) { try repo.addWorktree(name: "check", path: path, branch: "check", external: external) }
        #expect(!FileManager.default.fileExists(atPath: path))
        let request = try #require(external.prepared.first)
        #expect(request.filters.contains(.init(driver: "upper", key: "filter.upper.smudge", command: "tr a-z A-Z", required: false, file: "shout.up")))
        #expect(request.filters.contains(.init(driver: "lfs", key: "filter.lfs.process", command: "git-lfs filter-process", required: true, file: "big.lfs")))
        // Without the lfs file, the upper filter is run by the external checkout.
        try fixture.git("update-index", "--force-remove", "big.lfs")
        try fixture.git("commit", "-q", "-m", "no lfs")
        try repo.createBranch("check2", at: try repo.resolveCommit("main"))
        external.refuse = false
        try repo.addWorktree(name: "check2", path: path, branch: "check2", external: external)
        #expect(try String(contentsOfFile: path + "/shout.up", encoding: .utf8) == "QUIET\n")
        #expect(try fixture.git("status", "--porcelain", in: path).isEmpty)
    }

    @Test func manyFilesOnSeveralThreads() throws {
        let fixture = try GitFixture()
        for folder in 0..<10 {
            for file in 0..<40 {
                let path = fixture.repo + "/d\(folder)/f\(file).txt"
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try "content \(folder) \(file)\n".write(toFile: path, atomically: false, encoding: .utf8)
            }
        }
        try fixture.git("add", "-A")
        try fixture.git("commit", "-q", "-m", "many")
        _ = try addAndCompare(fixture)
    }
}
