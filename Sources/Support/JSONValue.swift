#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Any JSON value. Session files carry keys ppds does not know; they travel as these.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a whole document; the error says where it broke.
    public static func parse(_ data: Data) throws -> JSONValue {
        if let value = JSONFastParse.parse(data) { return value }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The deepest nesting of arrays and objects, outside strings (a cheap pre-check: the
    /// decoder recurses once per level).
    public static func nestingDepth(_ data: Data) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { self == .null }

    /// `a string`, `a number`, … for error messages.
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

/// A JSON object whose keys keep the order they were added in, for stable, readable output.
public struct OrderedJSON: Sendable {
    public private(set) var entries: [(String, JSONValue)] = []

    public init() {}

    public subscript(key: String) -> JSONValue? {
        get { entries.first { $0.0 == key }?.1 }
        set {
            if let index = entries.firstIndex(where: { $0.0 == key }) {
                if let newValue { entries[index].1 = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// As a plain JSON object (for nesting; key order is then sorted on output).
    public var objectValue: JSONValue {
        .object(Dictionary(entries.map { ($0.0, $0.1) }, uniquingKeysWith: { _, last in last }))
    }

    /// A command's or the server's JSON document: `"version": 1`, then one member.
    public static func document(_ key: String, _ value: JSONValue) -> OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out[key] = value
        return out
    }

    /// Adds the key only when the value is non-nil.
    public mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { self[key] = value }
    }
}

/// Writes JSON with keys in a chosen order. Nested plain objects are written with sorted keys.
public enum JSONWriter {
    public static func write(_ value: OrderedJSON, pretty: Bool = true) -> String {
        var out = ""
        writeObject(value.entries, into: &out, indent: pretty ? 0 : nil)
        return out
    }

    public static func write(_ value: JSONValue, pretty: Bool = true) -> String {
        var out = ""
        write(value, into: &out, indent: pretty ? 0 : nil)
        return out
    }

    static func write(_ value: JSONValue, into out: inout String, indent: Int?) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)) : "null"
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent.map { $0 + 1 })
                write(item, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out += "]"
        case .object(let object):
            writeObject(object.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, into: &out, indent: indent)
        }
    }

    static func writeObject(_ entries: [(String, JSONValue)], into out: inout String, indent: Int?) {
        if entries.isEmpty { out += "{}"; return }
        out += "{"
        for (index, (key, value)) in entries.enumerated() {
            if index > 0 { out += "," }
            newline(&out, indent.map { $0 + 1 })
            writeString(key, into: &out)
            out += indent == nil ? ":" : ": "
            write(value, into: &out, indent: indent.map { $0 + 1 })
        }
        newline(&out, indent)
        out += "}"
    }

    private static func newline(_ out: inout String, _ indent: Int?) {
        guard let indent else { return }
        out += "\n" + String(repeating: "  ", count: indent)
    }

    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
