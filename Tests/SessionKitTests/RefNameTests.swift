import Foundation
import Testing
import TestSupport
import SessionKit
import Support

/// SessionKit's pure-Swift branch-name rule against the real `git check-ref-format --branch`.
@Suite struct RefNameTests {
    static let names: [String] = [
        // Valid.
        "main", "feat/x", "fix/auth-bug-12", "a@b", "@@", "a/@", "@a", "a@", "ünï/x", "x.lock.y", "a/-b", "a/HEAD",
        "HEAD/a", "refs/heads/x", "a{b}", "a}b", "feat/.x.", "feat/a.b", "a_b+c=d", "a!b", "a#b", "a%b", "a'b", "a\"b",
        "a,b", "a;b", "a<b>", "a|b", "a$b", "a&b", "a(b)", "feat/x.lock-ish", "x/y/z/w", "z/y",
        // Hostile.
        "../../../../project/Cargo", "feat/../../x", "..", ".", "a..b", "a/..", "a/./b", "-x", "-", "/abs", "x/", "x.", "a/b.",
        "x.lock", "a.lock/b", "a/b.lock", ".hidden", "a/.hidden", "a//b", "a b", "a\tb", "a\nb", "a\u{1}b", "a\u{7F}b",
        "a~1", "a^", "a^{}", "a:b", "a?", "a*", "a[b", "a\\b", "a@{1}", "@{-1}", "a@{", "@{", "HEAD", "", "x/y.lock/z",
        "feat/x/", "/", "//", ".lock", "a/.lock",
    ]

    /// Names git accepts that ppds refuses on purpose (the brief is stricter than git 2.39).
    static let stricterThanGit: Set<String> = ["@"]

    @Test func agreesWithGitCheckRefFormat() throws {
        // An empty repository, so `@{-1}` cannot resolve to a previous branch.
        let folder = TemporaryFolder()
        try runProcess("/usr/bin/git", ["init", "-q", folder.path]).check()
        #expect(Self.names.count >= 40)
        var compared = 0
        for name in Self.names + Array(Self.stricterThanGit) {
            let git = try runProcess("/usr/bin/git", ["check-ref-format", "--branch", name], in: folder.path)
            let gitAccepts = git.status == 0
            let ours = RefName.isValidBranchName(name)
            if Self.stricterThanGit.contains(name) {
                #expect(!ours, "\(name.debugDescription) should be refused")
            } else {
                #expect(ours == gitAccepts, "\(name.debugDescription): git says \(gitAccepts), RefName says \(ours) (\(RefName.branchNameProblem(name) ?? "valid"))")
                compared += 1
            }
        }
        #expect(compared >= 40)
    }

    @Test func problemsSayWhichRuleBroke() {
        #expect(RefName.branchNameProblem("a..b")?.contains("..") == true)
        #expect(RefName.branchNameProblem("a/b.lock")?.contains(".lock") == true)
        #expect(RefName.branchNameProblem("a b")?.contains("' '") == true)
        #expect(RefName.branchNameProblem("feat/x") == nil)
    }
}
