import Foundation
@testable import GitKit
import Testing
import TestSupport

/// The pieces of the checkout plan that need no repository. Byte-for-byte agreement with git
/// itself is checked end to end in PPDSTests/WorktreeInteropTests.
@Suite struct CheckoutPlanTests {
    func config(autocrlf: CheckoutConfig.AutoCRLF = .no, eol: CheckoutConfig.EOL = .unset, drivers: [String] = []) -> CheckoutConfig {
        var config = CheckoutConfig(environment: [:])
        config.autocrlf = autocrlf
        config.eol = eol
        for name in drivers { config.drivers[name] = .init(smudge: "x") }
        return config
    }

    func relevant(_ text: String, _ config: CheckoutConfig) -> Bool {
        var attributes = GitAttributes()
        attributes.addTree(Array(text.utf8), folder: [])
        attributes.finish()
        return attributes.anyAssignmentChangesBytes(config)
    }

    @Test func attributesThatChangeNoByteKeepThePlainPath() {
        let plain = config()
        for text in ["*.js linguist-vendored\n", "*.png -diff -text\n*.bin binary\n", "* text=auto\n", "* text\n", "*.sh eol=lf\n",
                     "/release export-ignore\n*.lock merge=ours\n", "*.x filter=lfs\n", "# * ident\n", "[attr]gen linguist-generated -text\n*.g gen\n",
                     "*.c bad$name ident\n", "!*.c ident\n", "[attr]unused text eol=crlf\n", "[attr]win text eol=crlf\n*.bat -win\n"] {
            #expect(!relevant(text, plain), "\(text)")
        }
        for text in ["* text eol=crlf\n", "*.c ident\n", "*.x filter=lfs\n", "*.ps1 working-tree-encoding=UTF-16\n", "[attr]win text eol=crlf\n*.bat win\n",
                     "[attr]inner ident\n[attr]outer inner\n*.c outer\n", "*.x -working-tree-encoding\n"] {
            #expect(relevant(text, config(drivers: ["lfs"])), "\(text)")
        }
        // Under core.eol=crlf, text and text=auto write CRLF; under core.autocrlf=true, -text stops it.
        #expect(relevant("* text=auto\n", config(eol: .crlf)))
        #expect(!relevant("* text=auto\n", config(autocrlf: .input, eol: .crlf)))
        #expect(relevant("*.png -text\n", config(autocrlf: .yes)))
        #expect(relevant("*.png binary\n", config(autocrlf: .yes)))
        #expect(relevant("*.sh eol=lf\n", config(autocrlf: .yes)))
    }

    @Test func attributeSyntaxPpdsDoesNotReadIsLeftToGit() {
        #expect(CheckoutPlan.unusualAttributes(Array("\"a b\" text\n".utf8), inTree: true) != nil)
        #expect(CheckoutPlan.unusualAttributes([0xef, 0xbb, 0xbf] + Array("* text\n".utf8), inTree: true) != nil)
        #expect(CheckoutPlan.unusualAttributes([0xef, 0xbb, 0xbf] + Array("* text\n".utf8), inTree: false) == nil)
        #expect(CheckoutPlan.unusualAttributes(Array("*.c text\n# \"quoted\" in a comment\n".utf8), inTree: true) == nil)
    }

    @Test func configParametersAreReadAsGitReadsThem() throws {
        let pairs = try #require(CheckoutConfig.parseParameters("'core.autocrlf'='true' 'a.b=c' 'x.y' 'q.r'= 'it'\\''s.k'='v'\\!'w'"))
        #expect(pairs.map(\.0) == ["core.autocrlf", "a.b", "x.y", "q.r", "it's.k"])
        #expect(pairs.map(\.1) == ["true", "c", nil, nil, "v!w"])
        #expect(CheckoutConfig.parseParameters("'unterminated") == nil)
        #expect(CheckoutConfig.parseParameters("'k'=v") == nil)
        #expect(CheckoutConfig.canonicalKey("Core.AutoCRLF") == "core.autocrlf")
        #expect(CheckoutConfig.canonicalKey("Filter.MyDriver.Smudge") == "filter.MyDriver.smudge")
        #expect(CheckoutConfig.canonicalKey("nodot") == nil)
        #expect(CheckoutConfig.parseBool("Yes") == true)
        #expect(CheckoutConfig.parseBool("0") == false)
        #expect(CheckoutConfig.parseBool("1k") == true)
        #expect(CheckoutConfig.parseBool("maybe") == nil)
    }

    @Test func environmentConfigComesLastAndInGitsOrder() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("repo"), withIntermediateDirectories: true)
        try "[core]\n\tautocrlf = input\n".write(toFile: folder.file("repo/config"), atomically: true, encoding: .utf8)
        try "[core]\n\teol = crlf\n[filter \"up\"]\n\tsmudge = tr a-z A-Z\n".write(toFile: folder.file("global"), atomically: true, encoding: .utf8)
        var config = CheckoutConfig.read(commonDir: folder.file("repo"), gitDir: folder.file("repo"),
                                         environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": folder.file("global")])
        #expect(config.autocrlf == .input)
        #expect(config.eol == .crlf)
        #expect(config.drivers["up"]?.smudge == "tr a-z A-Z")
        config = CheckoutConfig.read(commonDir: folder.file("repo"), gitDir: folder.file("repo"),
                                     environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.autocrlf",
                                                   "GIT_CONFIG_VALUE_0": "true", "GIT_CONFIG_PARAMETERS": "'core.autocrlf'='false'"])
        #expect(config.autocrlf == .no)
        #expect(config.unsure.isEmpty)
        config = CheckoutConfig.read(commonDir: folder.file("repo"), gitDir: folder.file("repo"),
                                     environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "core.autocrlf",
                                                   "GIT_CONFIG_VALUE_0": "true"])
        #expect(!config.unsure.isEmpty)
    }

    @Test func conditionalIncludesThatSetCheckoutKeysAreLeftToGit() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("repo"), withIntermediateDirectories: true)
        try "[core]\n\tautocrlf = true\n".write(toFile: folder.file("sets"), atomically: true, encoding: .utf8)
        try "[user]\n\tname = x\n".write(toFile: folder.file("unrelated"), atomically: true, encoding: .utf8)
        func read(_ target: String) throws -> CheckoutConfig {
            try "[includeIf \"gitdir:/x/\"]\n\tpath = \(target)\n".write(toFile: folder.file("global"), atomically: true, encoding: .utf8)
            return CheckoutConfig.read(commonDir: folder.file("repo"), gitDir: folder.file("repo"),
                                       environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": folder.file("global")])
        }
        #expect(try !read("sets").unsure.isEmpty)
        #expect(try read("unrelated").unsure.isEmpty)
        #expect(try read("missing").unsure.isEmpty)
    }

    func convert(_ text: [UInt8], _ conversion: Conversion) throws -> [UInt8] {
        var sink = ByteArraySink()
        try text.withUnsafeBytes { try ContentConversion.write($0, conversion, blobHex: Array(String(repeating: "a", count: 40).utf8), to: &sink) }
        return sink.bytes
    }

    @Test func identExpandsDifferentlyStreamingAndInMemoryAsGitDoes() throws {
        let id = "$Id: " + String(repeating: "a", count: 40) + " $"
        var streaming = Conversion()
        streaming.ident = true
        var inCore = streaming
        inCore.inCore = true
        // git's streaming filter does not restart a keyword at a second '$'; its in-memory one does.
        #expect(try convert(Array("$$Id$".utf8), streaming) == Array("$$Id$".utf8))
        #expect(try convert(Array("$$Id$".utf8), inCore) == Array(("$" + id).utf8))
        // "$Id:x y$" is foreign to the in-memory path (a space before the end), not to the streaming one.
        #expect(try convert(Array("$Id:x y$".utf8), inCore) == Array("$Id:x y$".utf8))
        #expect(try convert(Array("$Id:x y$".utf8), streaming) == Array(id.utf8))
        #expect(try convert(Array("a $Id$ b $Id: old $ c".utf8), streaming) == Array("a \(id) b \(id) c".utf8))
    }

    @Test func streamingInPiecesWritesWhatOnePieceWrites() throws {
        let samples = ["$Id$\r\n", "a\r\nb\nc\r", "$$Id$ $I$Id$ $Id:$ $Id:a\n$ x$Id:y$z\n", "$Id: foo bar $\n$Id", "\r\n\n\r\r\n$", "$Id\u{0}$\n"]
        for text in samples {
            for (ident, crlf) in [(true, true), (true, false), (false, true)] {
                var conversion = Conversion()
                conversion.ident = ident
                conversion.action = crlf ? .textCRLF : .binary
                let whole = try convert(Array(text.utf8), conversion)
                var stream = ContentConversion.Streaming(conversion, blobHex: Array(String(repeating: "a", count: 40).utf8))
                var sink = ByteArraySink()
                for byte in Array(text.utf8) { try [byte].withUnsafeBytes { try stream.feed($0, to: &sink) } }
                try stream.finish(to: &sink)
                #expect(sink.bytes == whole, "\(text.debugDescription) ident \(ident) crlf \(crlf)")
            }
        }
    }

    @Test func lineEndingsFollowGitsChecks() throws {
        var crlf = Conversion()
        crlf.action = .textCRLF
        #expect(try convert(Array("a\nb\r\nc\rd\n".utf8), crlf) == Array("a\r\nb\r\nc\rd\r\n".utf8))
        var auto = Conversion()
        auto.action = .autoCRLF
        auto.inCore = true
        #expect(try convert(Array("a\nb\n".utf8), auto) == Array("a\r\nb\r\n".utf8))
        #expect(try convert(Array("a\r\nb\n".utf8), auto) == Array("a\r\nb\n".utf8))
        #expect(try convert([0x61, 0x00, 0x0a], auto) == [0x61, 0x00, 0x0a])
        // A large input crosses the 64 KiB sink buffer and still converts every line.
        let big = Array(repeating: Array("0123456789abcde\n".utf8), count: 10_000).flatMap { $0 }
        let converted = try convert(big, crlf)
        #expect(converted.count == big.count + 10_000)
    }
}
