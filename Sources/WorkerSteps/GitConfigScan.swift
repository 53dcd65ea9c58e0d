/// What the front must see in a git config file before it answers without libgit2: a setting that
/// could move the main worktree (`worktree`) or make the repository bare (`bare` not false), an
/// include, an extension, a format version libgit2 1.5.1 refuses, or any line outside the plain forms
/// below. libgit2 refuses to open a repository whose config it cannot parse, and reads a variable
/// written on its section's line (`[core] bare = true`), so a scan that guessed would answer where
/// the full program fails or finds a bare repository: everything it does not recognise goes to the
/// full program.
///
/// Plain forms, one a line: blank; a comment (`#`, `;`); `[section]` or `[section "sub"]` (no
/// escapes), optionally followed by a variable; `key` or `key = value`, the value with balanced
/// quotes and only the escapes `\" \\ \n \t \b` (no continuation), a comment after it.
enum GitConfigScan {
    /// nil when the text is in plain forms and sets nothing that matters; else the reason.
    static func concern(in data: some Collection<UInt8>) -> String? {
        if data.contains(0) { return "a NUL byte" }
        var section: String?
        for (index, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = String(decoding: raw, as: UTF8.self)[...].drop(while: isBlank)
            if index == 0, line.hasPrefix("\u{FEFF}") { return "a byte order mark" }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let (name, rest) = header(line) else { return "line \(index + 1) is not a plain section header" }
                if name.hasPrefix("include") { return "an include ([\(name)])" }
                // libgit2 reads extensions and the format version from every config level.
                if name.hasPrefix("extensions") { return "an extension" }
                section = name
                line = rest.drop(while: isBlank)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            }
            guard section != nil, let (key, value) = variable(line) else { return "line \(index + 1) is not a plain variable" }
            if key == "worktree" { return "line \(index + 1) sets worktree" }
            if key == "repositoryformatversion", !["0", "1"].contains(value ?? "") { return "line \(index + 1) sets the format version" }
            if key == "bare", !["false", "no", "off", "0"].contains(value?.lowercased() ?? "true") {
                return "line \(index + 1) sets bare"
            }
        }
        return nil
    }

    /// libgit2's `git__isspace` (space, \t, \n, \v, \f, \r).
    static func isBlank(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy { GitDiscovery.isBlank($0) }
    }

    static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-")
    }

    /// `[name]` or `[name "sub"]`: the lowercased name and what follows the `]`.
    static func header(_ line: Substring) -> (String, Substring)? {
        var rest = line.dropFirst()
        let name = rest.prefix { isKeyCharacter($0) || $0 == "." }
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        if rest.first == " " || rest.first == "\t" {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\""), !rest[..<close].contains("\\") else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        guard rest.first == "]" else { return nil }
        return (name.lowercased(), rest.dropFirst())
    }

    /// `key`, or `key = value`: the lowercased key and the value without quotes and comment
    /// (nil for a key alone, which means true).
    static func variable(_ line: Substring) -> (String, String?)? {
        let key = line.prefix(while: isKeyCharacter)
        guard let first = key.first, first.isLetter else { return nil }
        var rest = line.dropFirst(key.count).drop(while: isBlank)
        if rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") { return (key.lowercased(), nil) }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst()
        var value = ""
        var quoted = false
        var characters = rest.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\\":
                // An escape git and libgit2 both read the same way; a line end (continuation) or
                // another escape is the full program's.
                guard let escaped = characters.next(), "\"\\ntb".contains(escaped) else { return nil }
                value.append(escaped)
            case "\"":
                quoted.toggle()
            case "#" where !quoted, ";" where !quoted:
                return (key.lowercased(), value.trimmingBlanks())
            default:
                value.append(character)
            }
        }
        return quoted ? nil : (key.lowercased(), value.trimmingBlanks())
    }
}

private extension String {
    /// By index, not through `reversed()`: each lazy wrapper type is run-time metadata the front
    /// would build (and scan the binary's conformances for) on every run.
    func trimmingBlanks() -> String {
        var start = startIndex, end = endIndex
        while start < end, GitConfigScan.isBlank(self[start]) { formIndex(after: &start) }
        while end > start, GitConfigScan.isBlank(self[index(before: end)]) { formIndex(before: &end) }
        return String(self[start..<end])
    }
}
