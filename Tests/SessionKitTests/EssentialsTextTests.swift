import Foundation
import Testing
import Support

/// The replacements for Foundation's text helpers that the front's targets use (they link
/// FoundationEssentials alone): the same answers as Foundation's, which the full program used.
@Suite struct EssentialsTextTests {
    @Test func trimmingMatchesFoundationForEveryScalarOfTheBMP() {
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(scalar.isFoundationWhitespace == CharacterSet.whitespaces.contains(scalar), "U+\(String(value, radix: 16))")
            #expect(scalar.isFoundationWhitespaceOrNewline == CharacterSet.whitespacesAndNewlines.contains(scalar), "U+\(String(value, radix: 16))")
        }
        for text in ["", " ", "  a b  ", "\u{2028}x\u{85}\t", "\u{3000}é\u{301} ", " \u{301}x", "\n\r\n", "a"] {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
    }

    @Test func pathPartsMatchNSString() {
        for path in ["/tmp/scratch.tiff", "/tmp/lock/", "/tmp/", "/tmp", "/", "scratch.tiff", "a/b", "/a//b", "/a/b//", "relative/dir/"] {
            #expect(path.lastPathPart == (path as NSString).lastPathComponent, "\(path)")
            #expect(path.parentPath == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    /// Within 32 bits: `%d` of a 64-bit Int printed only its low 32 bits (the old replica epochs'
    /// counter); the padding keeps every digit.
    @Test func zeroPaddingMatchesFormat() {
        #expect(zeroPadded(123_456_789_012, width: 12) == "123456789012")
        for value in [0, 7, -7, 2_147_483_647, -12, 99_999] {
            #expect(zeroPadded(value, width: 12) == String(format: "%012d", value), "\(value)")
        }
    }
}
