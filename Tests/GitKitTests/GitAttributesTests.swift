import Foundation
@testable import GitKit
import Testing
import TestSupport

/// ppds's attribute lookup against `git check-attr` itself, over generated attribute files:
/// wildcards, `**`, character classes, escapes, rooted and folder patterns, folder-only
/// patterns, subfolder files overriding parents, info/attributes and the global file on top of
/// or below them, macros (built-in and custom, nested, unset), and lines git rejects.
@Suite struct GitAttributesTests {
    static let patterns = [
        "*", "*.c", "*.txt", "a*", "*a*", "?.txt", "[abc]*", "[!a]*", "[^a]*.c", "[a-c]x", "[[:digit:]]*", "[[:alpha:]][[:alnum:]]*",
        "[[:upper:]]*", "[[:punct:]]*", "[[:space:]]*", "[[:bogus:]]*", "[]]*", "[a-]*", "[\\]]x", "**/x", "a/**", "a/**/b", "**", "/rooted",
        "dir/file.c", "dir/*.c", "d*/x", "*/x", "x/", "\\*star", "**.c", "a**b", "***", "foo/**/", "*/", "sub/**/*.txt", "/sub/*",
        "deep/er/*", "?", "??", "*[", "[", "a\\", "\\a", "*.C", "file.c", "b/", "**/b/**", "a/*/c", "*~", "#hash", "!neg", "[z-a]*",
        "[[:lower:]-]*", "*.[ch]", "x*y*z", "é*", "*é",
    ]
    static let states = [
        "text", "-text", "!text", "text=auto", "eol=crlf", "eol=lf", "crlf", "-crlf", "crlf=input", "ident", "-ident",
        "filter=lfs", "filter=x", "working-tree-encoding=UTF-16", "binary", "m1", "-m1", "!m1", "m2", "m1=value", "diff", "-merge",
        "bad$name", "text eol=crlf", "-text text", "text -text", "ident !ident",
    ]
    static let paths = [
        "a", "b", "c.c", "x", "file.c", "a.txt", "1.txt", "A.txt", "ab", "abc.c", "bx", "_x", " x", "]x", "-x", "*star", "ax", "x.C",
        "dir/file.c", "dir/other.c", "dir/x", "dir/sub/x", "a/b", "a/x/b", "a/x/y/b", "a/c", "a/b/c", "a/x/c", "d1/x", "dd/x/x",
        "sub/a.txt", "sub/deeper/a.txt", "sub/x", "sub/sub/x", "rooted", "sub/rooted", "deep/er/f", "deep/er/g/h", "x/y", "b/c",
        "é.txt", "café", "t~", "#hash", "!neg", "foo/bar/baz", "y.h", "xaybz", "q", "[", "a\\", "ab/c.c",
    ]

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func file(lines: Int, macros: Bool) -> String {
            var text = ""
            if macros {
                text += "[attr]m1 text -ident eol=crlf\n[attr]m2 m1 filter=mac\n"
                if next(3) == 0 { text += "[attr]binary ident\n" }
            }
            for _ in 0..<lines {
                let pattern = GitAttributesTests.patterns[next(GitAttributesTests.patterns.count)]
                var line = pattern
                for _ in 0..<(1 + next(3)) { line += " " + GitAttributesTests.states[next(GitAttributesTests.states.count)] }
                if next(10) == 0 { line += "\r" }
                text += line + "\n"
            }
            if next(8) == 0 { text += "[attr]m1 ident\n" }
            return text
        }
    }

    @Test(arguments: 0..<24)
    func lookupsAgreeWithGitCheckAttr(seed: Int) throws {
        var generator = Generator(state: UInt64(seed) &* 2654435761 &+ 17)
        let folder = TemporaryFolder()
        let repo = folder.file("repo")
        try runProcess("/usr/bin/git", ["init", "-q", repo]).check()
        var attributes = GitAttributes()
        var files: [(String, String)] = [(".gitattributes", generator.file(lines: 8, macros: true))]
        for sub in ["dir", "sub", "a", "a/x", "deep/er"] where generator.next(2) == 0 {
            files.append((sub + "/.gitattributes", generator.file(lines: 4, macros: generator.next(4) == 0)))
        }
        for (path, text) in files {
            let full = repo + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
            let folderPath = (path as NSString).deletingLastPathComponent
            attributes.addTree(Array(text.utf8), folder: Array(folderPath.utf8))
        }
        var environment = ["GIT_ATTR_NOSYSTEM": "1", "HOME": folder.path, "XDG_CONFIG_HOME": folder.file("xdg")]
        if generator.next(2) == 0 {
            let info = generator.file(lines: 4, macros: true)
            try FileManager.default.createDirectory(atPath: repo + "/.git/info", withIntermediateDirectories: true)
            try info.write(toFile: repo + "/.git/info/attributes", atomically: true, encoding: .utf8)
            attributes.addInfo(Array(info.utf8))
        }
        if generator.next(2) == 0 {
            let global = generator.file(lines: 4, macros: true)
            try global.write(toFile: folder.file("global-attributes"), atomically: true, encoding: .utf8)
            environment["GIT_CONFIG_COUNT"] = "1"
            environment["GIT_CONFIG_KEY_0"] = "core.attributesFile"
            environment["GIT_CONFIG_VALUE_0"] = folder.file("global-attributes")
            attributes.addGlobal(Array(global.utf8))
        }
        attributes.finish()
        let names = ["text", "eol", "crlf", "ident", "filter", "working-tree-encoding", "diff", "merge", "m1", "m2", "binary"]
        let result = try runProcess("/usr/bin/git", ["check-attr", "-z", "--stdin"] + names, in: repo, environment: environment,
                                    stdin: Self.paths.joined(separator: "\0") + "\0").check()
        let fields = result.stdout.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        var expected: [String: [String: String]] = [:]
        var index = 0
        while index + 2 < fields.count {
            expected[fields[index], default: [:]][fields[index + 1]] = fields[index + 2]
            index += 3
        }
        let numbers = names.map { attributes.names[Array($0.utf8)] ?? Int.max }
        for path in Self.paths {
            let mine = attributes.lookup(Array(path.utf8), numbers)
            for (name, setting) in zip(names, mine) {
                let shown: String
                switch setting {
                case .none, .some(.unspecified): shown = "unspecified"
                case .some(.set): shown = "set"
                case .some(.unset): shown = "unset"
                case .some(.string(let bytes)): shown = String(decoding: bytes, as: UTF8.self)
                }
                #expect(shown == expected[path]?[name], "seed \(seed) \(path) \(name): ppds \(shown), git \(expected[path]?[name] ?? "?")\n\(files)")
            }
        }
    }

    @Test func wildmatchCornerCases() {
        func match(_ pattern: String, _ text: String, pathname: Bool = true) -> Bool {
            GitAttributes.wildmatch(Array(pattern.utf8)[...], Array(text.utf8)[...], pathname: pathname)
        }
        #expect(match("foo/**/bar", "foo/bar"))
        #expect(match("foo/**/bar", "foo/a/b/bar"))
        #expect(!match("foo/*/bar", "foo/a/b/bar"))
        #expect(match("*", "a/b", pathname: false))
        #expect(!match("*", "a/b"))
        #expect(match("**", "a/b"))
        #expect(match("[[:digit:]]x", "1x"))
        #expect(!match("[!a-c]", "b"))
        #expect(match("\\*", "*"))
        #expect(!match("[", "["))
    }
}
