import MCP
import SessionKit
import Support

/// A tool call's arguments, read by name: a missing or mistyped value is a usage error naming
/// the argument, never a guess.
struct ToolArguments {
    let values: [String: Value]

    init(_ values: [String: Value]?) { self.values = values ?? [:] }

    func issue(_ name: String = "issue") throws(PPDSError) -> IssueNumber {
        guard let value = values[name], !value.isNull else { throw PPDSError.usage("'\(name)' is required") }
        let text = value.stringValue ?? value.intValue.map(String.init) ?? ""
        guard let issue = IssueNumber(parsing: text) else {
            throw PPDSError.usage("'\(name)': '\(text)' is not an issue number (a positive integer, #N or work-N)")
        }
        return issue
    }

    func issues(_ name: String) throws(PPDSError) -> [IssueNumber] {
        guard let value = values[name], !value.isNull else { throw PPDSError.usage("'\(name)' is required") }
        guard let items = value.arrayValue, !items.isEmpty else { throw PPDSError.usage("'\(name)' must be a non-empty list of issue numbers") }
        var out: [IssueNumber] = []
        for item in items {
            let text = item.stringValue ?? item.intValue.map(String.init) ?? ""
            guard let issue = IssueNumber(parsing: text) else { throw PPDSError.usage("'\(name)': '\(text)' is not an issue number") }
            out.append(issue)
        }
        return out
    }

    func string(_ name: String) throws(PPDSError) -> String? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw PPDSError.usage("'\(name)' must be a string") }
        return text
    }

    func requiredText(_ name: String) throws(PPDSError) -> String {
        guard let text = try string(name), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PPDSError.usage("'\(name)' is required and must not be empty")
        }
        return text
    }

    func flag(_ name: String) throws(PPDSError) -> Bool {
        guard let value = values[name], !value.isNull else { return false }
        guard let flag = value.boolValue else { throw PPDSError.usage("'\(name)' must be true or false") }
        return flag
    }

    func strings(_ name: String) throws(PPDSError) -> [String] {
        guard let value = values[name], !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw PPDSError.usage("'\(name)' must be a list of strings") }
        var out: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw PPDSError.usage("'\(name)' must be a list of strings") }
            out.append(text)
        }
        return out
    }

    /// Names the first argument the tool does not take: a typo is refused, not ignored.
    func refuseUnknown(allowed: Set<String>, tool: String) throws(PPDSError) {
        if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw PPDSError.usage("\(tool) takes no argument '\(unknown)' (it takes: \(allowed.sorted().joined(separator: ", ")))")
        }
    }
}

/// JSON Schema pieces for the tools' input schemas.
enum Schema {
    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    static func string(_ description: String) -> Value {
        .object(["type": "string", "description": .string(description)])
    }

    static func bool(_ description: String) -> Value {
        .object(["type": "boolean", "description": .string(description)])
    }

    static func integer(_ description: String) -> Value {
        .object(["type": "integer", "minimum": 1, "description": .string(description)])
    }

    static let issue: Value = .object([
        "type": .array(["string", "integer"]),
        "description": "The issue: 456, \"#456\" or \"work-456\".",
    ])

    static func issues(_ description: String) -> Value {
        .object(["type": "array", "items": issue, "minItems": 1, "description": .string(description)])
    }

    static func strings(_ description: String) -> Value {
        .object(["type": "array", "items": .object(["type": "string"]), "description": .string(description)])
    }
}

extension ToolArguments {
    func integer(_ name: String, in range: ClosedRange<Int>) throws(PPDSError) -> Int? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw PPDSError.usage("'\(name)' must be a whole number from \(range.lowerBound)" + (range.upperBound == Int.max ? " up" : " to \(range.upperBound)"))
        }
        return number
    }
}
