import Foundation
import Support
import TOMLKit

/// A value of a config file, copied out of TOMLKit's tree into plain Swift: `Sendable`, matched
/// by pattern, and independent of the C++ nodes underneath.
enum ConfigValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])
    /// A TOML date, time or date-time (its type's name): valid TOML, but no ppds key takes one.
    case dateTime(String)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .dateTime(let name): "a \(name)"
        }
    }
}

/// A config file (`config.toml`, `.ppds.toml`) read by TOMLKit: all of TOML 1.0 (toml++ parses
/// it). Errors are `PPDSError.invalid`, `file:line: message`.
struct ConfigFile {
    let file: String
    let root: [String: ConfigValue]
    private let text: String

    init(parsing text: String, file: String) throws(PPDSError) {
        self.file = file
        self.text = text
        // TOMLKit hands the text to C++ as a C string, which would end at a NUL; TOML forbids it anyway.
        if let nul = text.unicodeScalars.firstIndex(of: "\0") {
            let line = text.unicodeScalars[..<nul].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            throw PPDSError.invalid("\(file):\(line): a NUL character is not allowed in TOML")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let begin = error.source.begin
            throw PPDSError.invalid("\(file):\(begin.line): \(error.description) (column \(begin.column))")
        } catch {
            throw PPDSError.invalid("\(file): \(error)")
        }
        root = try Self.copy(table, path: [], file: file)
    }

    private static func copy(_ table: TOMLTable, path: [String], file: String) throws(PPDSError) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for key in table.keys {
            // A key with an escaped NUL comes back cut short and is then not found.
            guard let value = table[key]?.tomlValue else {
                throw PPDSError.invalid("\(file): key '\(keyPath(path + [key]))' cannot be read (a NUL character in it?)")
            }
            out[key] = try copy(value, path: path + [key], file: file)
        }
        return out
    }

    private static func copy(_ value: TOMLValue, path: [String], file: String) throws(PPDSError) -> ConfigValue {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .date, .time, .dateTime: return .dateTime(value.type.description)
        case .table:
            guard let table = value.table else { return .table([:]) }
            return .table(try copy(table, path: path, file: file))
        case .array:
            guard let array = value.array else { return .array([]) }
            var items: [ConfigValue] = []
            for item in array { items.append(try copy(item.tomlValue, path: path, file: file)) }
            return .array(items)
        }
    }

    func value(at path: String...) -> ConfigValue? {
        var current: ConfigValue = .table(root)
        for part in path {
            guard case .table(let table) = current, let next = table[part] else { return nil }
            current = next
        }
        return current
    }

    /// An error about the key at `path`, with the line that defines it where one is found.
    func fail(_ path: [String], _ message: String) -> PPDSError {
        let place = line(of: path).map { "\(file):\($0)" } ?? file
        return PPDSError.invalid("\(place): key '\(Self.keyPath(path))': \(message)")
    }

    /// A key path as TOML writes it: `hooks.post_create`, `labels."good first issue"`.
    static func keyPath(_ path: [String]) -> String {
        path.map { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy(isBare) ? part
                : "\"" + part.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ".")
    }

    private static func isBare(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    /// The line that defines `path`, or the nearest enclosing key (`hooks = { … }` for
    /// `hooks.post_create`), for error messages only. TOMLKit keeps no positions for values, so
    /// this looks at the start of each line: a `[table]` or `[[array]]` header, or `key =`;
    /// lines inside multi-line strings are skipped. A file it cannot follow gives no line.
    func line(of path: [String]) -> Int? {
        var best: (length: Int, line: Int)?
        var table: [String] = []
        var openQuote: String?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if openQuote == nil {
                var defined: [String]?
                if trimmed.hasPrefix("[") {
                    let inner = trimmed.drop { $0 == "[" }
                    if let (key, rest) = Self.key(inner), rest.first == "]" { table = key; defined = key }
                } else if let (key, rest) = Self.key(trimmed), rest.first == "=" {
                    defined = table + key
                }
                if let defined {
                    let common = zip(defined, path).prefix { $0 == $1 }.count
                    if common == defined.count, common > (best?.length ?? 0) { best = (common, index + 1) }
                }
            }
            // Multi-line strings open and close on odd counts of their quotes.
            for quote in ["\"\"\"", "'''"] where openQuote == nil || openQuote == quote {
                if line.components(separatedBy: quote).count % 2 == 0 { openQuote = openQuote == nil ? quote : nil }
            }
        }
        return best?.line
    }

    /// A bare, quoted or dotted key at the start of `text`, and what follows it (spaces skipped).
    private static func key(_ text: Substring) -> ([String], Substring)? {
        var parts: [String] = []
        var rest = text
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            if let quote = rest.first, quote == "\"" || quote == "'" {
                guard let end = rest.dropFirst().firstIndex(of: quote) else { return nil }
                let part = rest[rest.index(after: rest.startIndex)..<end]
                if quote == "\"" && part.contains("\\") { return nil }
                parts.append(String(part))
                rest = rest[rest.index(after: end)...]
            } else {
                let part = rest.prefix { $0.unicodeScalars.allSatisfy(isBare) }
                guard !part.isEmpty else { return nil }
                parts.append(String(part))
                rest = rest.dropFirst(part.count)
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "." else { return (parts, rest) }
            rest = rest.dropFirst()
        }
    }
}
