import Foundation
import Support

/// A parsed TOML value (the subset ppds's config needs).
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML syntax error with its line.
public struct TOMLError: Error, Equatable, Sendable {
    public let line: Int
    public let message: String
}

/// A small TOML reader: comments, `[table]` and `[a.b]` headers, bare, quoted and dotted
/// keys, basic and literal strings, integers, floats, booleans, arrays (over several lines)
/// and inline tables. Multi-line strings and dates are reported as unsupported, by line.
/// Also records the line each key was defined on, so type errors can name it.
public struct TOMLDocument: Sendable {
    public private(set) var root: [String: TOMLValue] = [:]
    /// Dotted key path → line number.
    public private(set) var lines: [String: Int] = [:]

    public init(parsing text: String) throws(TOMLError) {
        var parser = Parser(Array(text.unicodeScalars))
        var table: [String] = []
        while true {
            parser.skipBlankAndComments()
            guard let char = parser.peek() else { break }
            let line = parser.line
            if char == "[" {
                parser.advance()
                if parser.peek() == "[" {
                    throw TOMLError(line: line, message: "arrays of tables ([[...]]) are not supported")
                }
                table = try parser.key()
                parser.skipSpaces()
                guard parser.peek() == "]" else { throw TOMLError(line: parser.line, message: "expected ']' after the table name") }
                parser.advance()
                try insert(path: table, value: .table([:]), line: line, merge: true)
            } else {
                let key = try parser.key()
                parser.skipSpaces()
                guard parser.peek() == "=" else { throw TOMLError(line: parser.line, message: "expected '=' after key '\(key.joined(separator: "."))'") }
                parser.advance()
                parser.skipSpaces()
                let value = try parser.value()
                try insert(path: table + key, value: value, line: line, merge: false)
            }
            parser.skipSpaces()
            if parser.peek() == "#" { parser.skipComment() }
            guard parser.peek() == nil || parser.peek() == "\n" || parser.peek() == "\r" else {
                throw TOMLError(line: parser.line, message: "unexpected text after the value")
            }
        }
    }

    private mutating func insert(path: [String], value: TOMLValue, line: Int, merge: Bool) throws(TOMLError) {
        let dotted = path.joined(separator: ".")
        if lines[dotted] != nil, !merge {
            throw TOMLError(line: line, message: "key '\(dotted)' is defined twice")
        }
        lines[dotted] = lines[dotted] ?? line
        root = try Self.set(root, path[...], value, line: line, merge: merge, dotted: dotted)
    }

    private static func set(_ table: [String: TOMLValue], _ path: ArraySlice<String>, _ value: TOMLValue,
                            line: Int, merge: Bool, dotted: String) throws(TOMLError) -> [String: TOMLValue] {
        var table = table
        let head = path.first!
        if path.count == 1 {
            if merge, case .table? = table[head] { return table }
            if table[head] != nil { throw TOMLError(line: line, message: "key '\(dotted)' is defined twice") }
            table[head] = value
            return table
        }
        let inner: [String: TOMLValue]
        switch table[head] {
        case nil: inner = [:]
        case .table(let existing)?: inner = existing
        default: throw TOMLError(line: line, message: "'\(head)' is not a table, so '\(dotted)' cannot be set")
        }
        table[head] = .table(try set(inner, path.dropFirst(), value, line: line, merge: merge, dotted: dotted))
        return table
    }

    public func value(at dotted: String) -> TOMLValue? {
        var current: TOMLValue = .table(root)
        for part in dotted.split(separator: ".") {
            guard case .table(let table) = current, let next = table[String(part)] else { return nil }
            current = next
        }
        return current
    }
}

private struct Parser {
    let chars: [Unicode.Scalar]
    var index = 0
    var line = 1
    /// Arrays and inline tables open now; bounded so a hostile file cannot exhaust the stack.
    var depth = 0

    init(_ chars: [Unicode.Scalar]) { self.chars = chars }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    mutating func advance() {
        if chars[index] == "\n" { line += 1 }
        index += 1
    }

    mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    mutating func skipComment() {
        while let c = peek(), c != "\n" { advance() }
    }

    mutating func skipBlankAndComments() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
            else if c == "#" { skipComment() }
            else { break }
        }
    }

    static func isBare(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "-" || c == "_")
    }

    mutating func key() throws(TOMLError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            if peek() == "\"" || peek() == "'" {
                parts.append(try string())
            } else {
                var part = ""
                while let c = peek(), Self.isBare(c) { part.unicodeScalars.append(c); advance() }
                guard !part.isEmpty else { throw TOMLError(line: line, message: "expected a key") }
                parts.append(part)
            }
            skipSpaces()
            guard peek() == "." else { return parts }
            advance()
        }
    }

    mutating func value() throws(TOMLError) -> TOMLValue {
        guard let c = peek() else { throw TOMLError(line: line, message: "expected a value") }
        if c == "[" || c == "{" {
            depth += 1
            guard depth <= 32 else { throw TOMLError(line: line, message: "arrays or tables nested deeper than 32 levels") }
        }
        defer { if c == "[" || c == "{" { depth -= 1 } }
        switch c {
        case "\"", "'":
            if peek(1) == c && peek(2) == c { throw TOMLError(line: line, message: "multi-line strings are not supported") }
            return .string(try string())
        case "[":
            advance()
            var items: [TOMLValue] = []
            while true {
                skipBlankAndComments()
                if peek() == "]" { advance(); return .array(items) }
                items.append(try value())
                skipBlankAndComments()
                if peek() == "," { advance(); continue }
                guard peek() == "]" else { throw TOMLError(line: line, message: "expected ',' or ']' in the array") }
            }
        case "{":
            advance()
            var table: [String: TOMLValue] = [:]
            skipSpaces()
            if peek() == "}" { advance(); return .table(table) }
            while true {
                let key = try key()
                skipSpaces()
                guard peek() == "=" else { throw TOMLError(line: line, message: "expected '=' in the inline table") }
                advance()
                skipSpaces()
                let item = try value()
                table = try TOMLDocument.setInline(table, key, item, line: line)
                skipSpaces()
                if peek() == "," { advance(); continue }
                guard peek() == "}" else { throw TOMLError(line: line, message: "expected ',' or '}' in the inline table") }
                advance()
                return .table(table)
            }
        default:
            var word = ""
            while let c = peek(), !(c == "," || c == "]" || c == "}" || c == " " || c == "\t" || c == "\n" || c == "\r" || c == "#") {
                word.unicodeScalars.append(c); advance()
            }
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            let digits = word.replacingOccurrences(of: "_", with: "")
            if let int = Int(digits) { return .integer(int) }
            if let double = Double(digits), digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(double) }
            if word.isEmpty { throw TOMLError(line: line, message: "expected a value") }
            throw TOMLError(line: line, message: "'\(word)' is not a value (strings need quotes; dates are not supported)")
        }
    }

    mutating func string() throws(TOMLError) -> String {
        let quote = peek()!
        let start = line
        advance()
        var out = ""
        while true {
            guard let c = peek(), c != "\n" else { throw TOMLError(line: start, message: "unterminated string") }
            advance()
            if c == quote { return out }
            if c == "\\" && quote == "\"" {
                guard let e = peek() else { throw TOMLError(line: line, message: "unterminated string") }
                advance()
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\"": out += "\""
                case "\\": out += "\\"
                case "b": out += "\u{8}"
                case "f": out += "\u{C}"
                case "u", "U":
                    let count = e == "u" ? 4 : 8
                    var hex = ""
                    for _ in 0..<count { if let h = peek() { hex.unicodeScalars.append(h); advance() } }
                    guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw TOMLError(line: line, message: "bad unicode escape \\\(e)\(hex)")
                    }
                    out.unicodeScalars.append(scalar)
                default: throw TOMLError(line: line, message: "unknown escape \\\(e)")
                }
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
}

extension TOMLDocument {
    fileprivate static func setInline(_ table: [String: TOMLValue], _ key: [String], _ value: TOMLValue, line: Int) throws(TOMLError) -> [String: TOMLValue] {
        try set(table, key[...], value, line: line, merge: false, dotted: key.joined(separator: "."))
    }
}
