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

    @Test func attributesFallBackToLibgit2Checkout() throws {
        let fixture = try GitFixture()
        try fixture.commit(".gitattributes", "*.txt text eol=crlf\n")
        try fixture.commit("notes.txt", "one\ntwo\n")
        let path = try addAndCompare(fixture)
        // The eol attribute was applied, as git's own checkout would.
        #expect(try String(contentsOfFile: path + "/notes.txt", encoding: .utf8) == "one\r\ntwo\r\n")
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
