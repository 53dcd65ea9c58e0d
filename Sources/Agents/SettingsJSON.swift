import Foundation
import SessionKit
import Support

/// A JSON document that keeps its keys in the order they were written and its numbers as
/// written, so ppds can edit someone's settings file without reordering or reformatting what it
/// does not touch (beyond indentation). Only the settings merge uses it.
indirect enum SettingsJSON: Equatable {
    /// A number, `true`, `false` or `null`, as written.
    case literal(String)
    case string(String)
    case array([SettingsJSON])
    case object([(key: String, value: SettingsJSON)])

    static func == (a: SettingsJSON, b: SettingsJSON) -> Bool {
        switch (a, b) {
        case (.literal(let x), .literal(let y)), (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    var objectEntries: [(key: String, value: SettingsJSON)]? { if case .object(let o) = self { return o }; return nil }
    var arrayValue: [SettingsJSON]? { if case .array(let a) = self { return a }; return nil }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var isNull: Bool { self == .literal("null") }

    subscript(key: String) -> SettingsJSON? {
        objectEntries?.last { $0.key == key }?.value
    }

    var kindDescription: String {
        switch self {
        case .literal(let text): text == "null" ? "null" : text == "true" || text == "false" ? "a boolean" : "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// `entries` with `key` set: in its place when present, else at the end.
    static func setting(_ key: String, to value: SettingsJSON, in entries: [(key: String, value: SettingsJSON)]) -> [(key: String, value: SettingsJSON)] {
        var out = entries
        if let index = out.lastIndex(where: { $0.key == key }) { out[index].value = value } else { out.append((key, value)) }
        return out
    }

    static func from(_ value: JSONValue) -> SettingsJSON {
        switch value {
        case .null: .literal("null")
        case .bool(let b): .literal(b ? "true" : "false")
        case .int(let i): .literal(String(i))
        case .double(let d): .literal(JSONWriter.write(.array([.double(d)]), pretty: false).dropFirst().dropLast().description)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(from))
        case .object(let object): .object(object.sorted { $0.key < $1.key }.map { ($0.key, from($0.value)) })
        }
    }

    // MARK: Writing (two-space indent, like JSONWriter)

    func written() -> String {
        var out = ""
        write(into: &out, indent: 0)
        return out
    }

    private func write(into out: inout String, indent: Int) {
        let pad = { (level: Int) in "\n" + String(repeating: "  ", count: level) }
        switch self {
        case .literal(let text): out += text
        case .string(let text): JSONWriter.writeString(text, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                out += (index > 0 ? "," : "") + pad(indent + 1)
                item.write(into: &out, indent: indent + 1)
            }
            out += pad(indent) + "]"
        case .object(let entries):
            if entries.isEmpty { out += "{}"; return }
            out += "{"
            for (index, entry) in entries.enumerated() {
                out += (index > 0 ? "," : "") + pad(indent + 1)
                JSONWriter.writeString(entry.key, into: &out)
                out += ": "
                entry.value.write(into: &out, indent: indent + 1)
            }
            out += pad(indent) + "}"
        }
    }

    // MARK: Reading (RFC 8259; nil for anything else)

    static func parse(_ data: Data, maxDepth: Int) -> SettingsJSON? {
        var parser = Parser(bytes: Array(data), maxDepth: maxDepth)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.position == parser.bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var position = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 { position += 1 }
        }

        mutating func value(depth: Int) -> SettingsJSON? {
            guard depth <= maxDepth else { return nil }
            skipSpace()
            guard let byte = current else { return nil }
            switch byte {
            case UInt8(ascii: "{"):
                position += 1
                var entries: [(key: String, value: SettingsJSON)] = []
                skipSpace()
                if current == UInt8(ascii: "}") { position += 1; return .object(entries) }
                while true {
                    skipSpace()
                    guard current == UInt8(ascii: "\""), let key = string() else { return nil }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let item = value(depth: depth + 1) else { return nil }
                    entries.append((key, item))
                    skipSpace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    if current == UInt8(ascii: "}") { position += 1; return .object(entries) }
                    return nil
                }
            case UInt8(ascii: "["):
                position += 1
                var items: [SettingsJSON] = []
                skipSpace()
                if current == UInt8(ascii: "]") { position += 1; return .array(items) }
                while true {
                    guard let item = value(depth: depth + 1) else { return nil }
                    items.append(item)
                    skipSpace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    if current == UInt8(ascii: "]") { position += 1; return .array(items) }
                    return nil
                }
            case UInt8(ascii: "\""):
                return string().map(SettingsJSON.string)
            default:
                for word in ["true", "false", "null"] where bytes[position...].starts(with: word.utf8) {
                    position += word.utf8.count
                    return .literal(word)
                }
                return number()
            }
        }

        /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func number() -> SettingsJSON? {
            let start = position
            func digits() -> Int {
                let first = position
                while let byte = current, (0x30...0x39).contains(byte) { position += 1 }
                return position - first
            }
            if current == UInt8(ascii: "-") { position += 1 }
            if current == UInt8(ascii: "0") { position += 1 } else if digits() == 0 { return nil }
            if current == UInt8(ascii: ".") { position += 1; guard digits() > 0 else { return nil } }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { return nil }
            }
            return .literal(String(decoding: bytes[start..<position], as: UTF8.self))
        }

        /// A string literal at `position` (which holds the opening quote), decoded.
        mutating func string() -> String? {
            position += 1
            var scalars = String.UnicodeScalarView()
            var run = position  // start of the current stretch of plain bytes
            func flush(to end: Int) -> Bool {
                guard let text = String(validating: bytes[run..<end], as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                return true
            }
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    guard flush(to: position) else { return nil }
                    position += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    guard flush(to: position) else { return nil }
                    position += 1
                    guard let escape = current else { return nil }
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        guard let high = hex4() else { return nil }
                        var code = high
                        if (0xD800...0xDBFF).contains(high) {
                            guard bytes[position...].starts(with: "\\u".utf8) else { return nil }
                            position += 2
                            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                            code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        scalars.append(scalar)
                    default: return nil
                    }
                    run = position
                default:
                    guard byte >= 0x20 else { return nil }
                    position += 1
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            let digits = bytes[position..<position + 4]
            guard digits.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }),
                  let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
            position += 4
            return value
        }
    }
}

extension SettingsJSON {
    /// A settings file's top-level object, bounded; anything else is an error naming `file`.
    static func parseObject(_ data: Data, file: String) throws(PPDSError) -> [(key: String, value: SettingsJSON)] {
        guard data.count <= Session.maxFileSize, JSONValue.nestingDepth(data) <= Session.maxNesting else {
            throw PPDSError.invalid("\(file): too large or nested too deeply for a settings file; nothing was written")
        }
        let parsed: SettingsJSON
        if let ordered = SettingsJSON.parse(data, maxDepth: Session.maxNesting) {
            parsed = ordered
        } else {
            // Foundation's reader says where the file broke (and would take what ours is too strict for).
            do { parsed = SettingsJSON.from(try JSONValue.parse(data)) } catch {
                throw PPDSError.invalid("\(file) is not valid JSON (\(error)); fix or remove it, nothing was written")
            }
        }
        guard let entries = parsed.objectEntries else {
            throw PPDSError.invalid("\(file): the top level is \(parsed.kindDescription), not an object; nothing was written")
        }
        return entries
    }
}
