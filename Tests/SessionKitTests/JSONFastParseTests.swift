import Foundation
import Testing
@testable import Support

/// The fast parser answers only where `JSONDecoder` (through `JSONValue`'s `Decodable`) gives
/// the same value; everywhere else it says nil and the decoder answers.
@Suite struct JSONFastParseTests {
    static func decoded(_ data: Data) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: data) }

    static func expectAgreement(_ text: String, answered: Bool? = nil) {
        let data = Data(text.utf8)
        let fast = JSONFastParse.parse(data)
        if let fast {
            #expect(fast == decoded(data), "\(text.debugDescription): fast \(fast), decoder \(String(describing: decoded(data)))")
        }
        if let answered { #expect((fast != nil) == answered, "\(text.debugDescription): fast \(String(describing: fast))") }
    }

    @Test func everydayDocumentsAreAnsweredAsTheDecoderAnswers() {
        for text in [#"{}"#, #"[]"#, #" {"a": 1, "b": [true, false, null], "c": {"d": "e"}} "#, "\n{\"id\":\"work-1\",\"n\":-42}\n",
                     #"{"s": "quote \" slash \\ \/ \b\f\n\r\t \u00e9 \u0000 é 😀"}"#, #"0"#, #"-0"#, #"123456789012345678"#,
                     #""plain""#, #"[1,[2,[3,[4]]]]"#, #"{"a":{"b":{"c":[{}]}}}"#] {
            Self.expectAgreement(text, answered: true)
        }
    }

    @Test func everythingElseIsLeftToTheDecoder() {
        for text in ["", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "-", "1.5", "1.0", "1e2", "1E2", "-1.25e-3",
                     "1234567890123456789", "9223372036854775808", "\u{FEFF}{}", #"{"a":1,"a":2}"#, #""\ud83d\ude00""#, #""\ud800""#,
                     "\"tab\there\"", #""\x""#, "tru", "nul", "[1] 2", "{\"e\\u0301\":1,\"\\u00e9\":2}", "NaN", "+1", "\"unterminated",
                     #"{"a":1}{"#,
                     // `\u` takes four hex digits: a sign is no digit (a radix parse would read `+041` as U+0041).
                     #""\u+041""#, #""\u-000""#, #""\u 041""#, #""\u004""#] {
            Self.expectAgreement(text, answered: false)
        }
        // Bytes that are not UTF-8 in a string.
        let invalid = Data([0x22, 0xC3, 0x28, 0x22])
        #expect(JSONFastParse.parse(invalid) == nil)
        // Deep nesting goes to the decoder.
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(JSONFastParse.parse(Data(deep.utf8)) == nil)
    }

    /// Generated documents: whatever the fast parser answers equals the decoder's value.
    @Test func generatedDocumentsAgree() {
        var generator = SystemRandomNumberGenerator()
        let atoms = ["0", "-7", "12", "true", "false", "null", "\"x\"", "\"\\u00e9\\n\"", "\"é\"", "1.5", "2e3", "\"\\ud83d\\ude00\""]
        func document(_ depth: Int) -> String {
            if depth > 3 || Int.random(in: 0..<3, using: &generator) == 0 { return atoms.randomElement(using: &generator)! }
            if Bool.random(using: &generator) {
                return "[" + (0..<Int.random(in: 0..<4, using: &generator)).map { _ in document(depth + 1) }.joined(separator: ",") + "]"
            }
            let keys = (0..<Int.random(in: 0..<4, using: &generator)).map { "\"k\($0 % 3)\"" }
            return "{" + keys.map { $0 + ":" + document(depth + 1) }.joined(separator: " , ") + "}"
        }
        for _ in 0..<2_000 { Self.expectAgreement(document(0)) }
    }
}
