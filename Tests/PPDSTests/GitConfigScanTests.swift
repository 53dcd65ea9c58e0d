import Testing
@testable import WorkerSteps

@Suite struct GitConfigScanTests {
    /// The config scan's table: the forms git writes are read (so the front answers), every
    /// other form is the full program's.
    @Test func theConfigScanReadsPlainFormsOnly() {
        let plain = ["[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tlogallrefupdates = true\n",
                     "[remote \"origin\"]\n\turl = https://example.com/x.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
                     "# comment\n; other\n\n[alias]\n\tlg = \"log --graph # not a comment\" # comment\n\tq = \"!sh -c \\\"x\\\"\"\n",
                     "[user] name = x\r\n\temail = y\r\n", "[core]\n\tBare = No ; comment\n\tfilemode\n"]
        for text in plain { #expect(GitConfigScan.concern(in: Array(text.utf8)) == nil, "\(text)") }
        let concerns = ["[core] bare = true\n", "[core]\n\tbare\n", "[core]\n\tbare = \"true\"\n", "[core]\n\tworktree = /x\n",
                        "[CORE]\n\tWorkTree = /x\n", "[include]\n\tpath = x\n", "[includeIf \"gitdir:/x/\"]\n\tpath = y\n",
                        "[extensions]\n\tworktreeConfig = true\n", "bare = false\n", "[core\n", "[core \"x]\n", "[core]\n\tsome_key = 1\n",
                        "[core]\n\tx = a\\qb\n", "[core]\n\tx = \"open\n", "[core]\n\tx = a\\\n", "\u{FEFF}[core]\n", "[core]\n\tx = a\0b\n",
                        "[core]\n\tfoo bar\n", "[sub \"a\\\"b\"]\n",
                        "[core]\n\trepositoryformatversion = 2\n", "[core]\n\tbare =\n"]
        for text in concerns { #expect(GitConfigScan.concern(in: Array(text.utf8)) != nil, "\(text)") }
    }
}
