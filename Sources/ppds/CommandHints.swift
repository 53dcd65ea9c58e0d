import ArgumentParser

/// Friendlier words for the commonest slips, checked before parsing: a mistyped subcommand
/// gets the closest one, `start` points at `start-work`, and `-3` is said to be no issue number
/// (the parser would call it an unknown option).
enum CommandHints {
    static let aliases = ["start": "start-work", "begin": "start-work", "ls": "list", "rm": "prune",
                          "remove": "prune", "clean": "prune", "stop": "cancel", "info": "show", "check": "doctor"]

    /// A usage message for `arguments` (without the program name), or nil when they look right.
    static func problem(_ arguments: [String], subcommands: [String]) -> String? {
        if let negative = arguments.first(where: { $0.count > 1 && $0.hasPrefix("-") && $0.dropFirst().allSatisfy(\.isNumber) }) {
            return "'\(negative)' is not an issue number: issue numbers are positive (456, #456 or work-456)"
        }
        guard let first = arguments.first, !first.hasPrefix("-"), first != "help", !subcommands.contains(first) else { return nil }
        if first == "cd" {
            return "'ppds cd' needs the shell function: add 'eval \"$(ppds shell-init bash)\"' (or zsh, fish) to your shell's start-up file; 'ppds path' prints the folder"
        }
        if let alias = aliases[first.lowercased()] {
            return "there is no '\(first)' command; did you mean '\(alias)'? (see 'ppds --help')"
        }
        let scored = subcommands.map { ($0, distance(first.lowercased(), $0)) }.min { $0.1 < $1.1 }
        if let (best, score) = scored, score <= max(2, first.count / 3) {
            return "there is no '\(first)' command; did you mean '\(best)'? (see 'ppds --help')"
        }
        return "there is no '\(first)' command (see 'ppds --help' for the commands)"
    }

    /// When the parser refused `arguments`: a `--name` the command does not know, said as such
    /// with the closest known option. Without this, `--titel "Fix thing"` is reported as
    /// "'Fix thing' is not an issue number", the parser's complaint about the value it skipped.
    static func unknownOption(_ arguments: [String], root: ParsableCommand.Type) -> String? {
        let (command, rest) = named(arguments, root: root)
        guard ObjectIdentifier(command) != ObjectIdentifier(root) else { return nil }
        let help = root.helpMessage(for: command, includeHidden: true, columns: 10_000)
        var known: Set<String> = ["--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        var index = help.startIndex
        while let range = help.range(of: "--", range: index..<help.endIndex) {
            let name = help[range.lowerBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
            if name.count > 2 { known.insert(String(name)) }
            index = range.upperBound
        }
        for argument in rest {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            guard !known.contains(name) else { continue }
            let best = known.map { ($0, distance(name, $0)) }.min { $0.1 < $1.1 }
            let suggestion = best.flatMap { $0.1 <= max(2, name.count / 3) ? "; did you mean '\($0.0)'?" : nil } ?? ""
            return "unknown option '\(name)' for '\(command._commandName)'\(suggestion) (see 'ppds \(command._commandName) --help')"
        }
        return nil
    }

    /// Whether arguments the parser refused asked for JSON: the command they name takes
    /// `--json` (a `JSONCommand`) and `--json` stands among its own words, before `--` or
    /// `--exec` (the words after those are another program's). A command that parsed says it
    /// itself (`PPDSCommand.json`).
    static func asksForJSON(_ arguments: [String], root: ParsableCommand.Type) -> Bool {
        let (command, rest) = named(arguments, root: root)
        return command is any JSONCommand.Type && rest.prefix(while: { $0 != "--" && $0 != "--exec" }).contains("--json")
    }

    /// The (sub)command the leading words name, and the words after them.
    static func named(_ arguments: [String], root: ParsableCommand.Type) -> (ParsableCommand.Type, ArraySlice<String>) {
        var command: ParsableCommand.Type = root
        var rest = arguments[...]
        while let next = rest.first, let sub = command.configuration.subcommands.first(where: { $0._commandName == next }) {
            command = sub
            rest = rest.dropFirst()
        }
        return (command, rest)
    }

    /// Levenshtein distance, with a transposition counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var table = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { table[i][0] = i }
        for j in 0...y.count { table[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[x.count][y.count]
    }
}
