import Foundation
import Testing
import TestSupport
@testable import Config
import GitKit
@testable import Lifecycle
import SessionKit
@testable import Support
@testable import View

/// Known answers for the trust digest, and every padding edge against coreutils' sha256sum.
@Suite struct SHA256Tests {
    @Test func knownAnswers() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Lengths around the 55/56/64-byte padding boundaries, and two blocks.
    @Test(arguments: [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000])
    func paddingEdgesMatchSha256sum(length: Int) throws {
        let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let folder = TemporaryFolder()
        let file = folder.file("input")
        try bytes.write(to: URL(fileURLWithPath: file))
        let expected = try runProcess("/usr/bin/sha256sum", [file]).check().stdout.prefix(64)
        #expect(SHA256.hex(bytes) == String(expected))
    }
}
