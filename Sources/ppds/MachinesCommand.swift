import ArgumentParser
import Foundation
import Lifecycle
import SessionKit
import Support
import Replication

/// `ppds machines`: the machines seen on the registry remote and which of them this machine trusts.
struct MachinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machines",
        abstract: "List the machines seen on the registry remote, and which ones this machine trusts.",
        discussion: """
            Guidance, pauses, resumes and claims from another machine act here only when its \
            commits are signed by a key this machine trusts. 'ppds sync' records every machine \
            it sees; 'ppds machines trust <id|fingerprint>' trusts one, 'untrust' stops.
            """,
        subcommands: [List.self, Trust.self, Untrust.self],
        defaultSubcommand: List.self)

    struct List: JSONCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the machines (the default).")
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let home = CLI.store.home
            let trust = try MachineTrust.load(home: home)
            if json {
                CLI.printJSON(MachinesCommand.json(trust))
                return
            }
            let me = trust.me
            print("this machine: \(TerminalText.escaped(me.label)) (\(TerminalText.escaped(me.id))) \(trust.myKey.fingerprint)")
            print("  key: \(trust.myKey.publicKeyText)")
            print("  on another machine, 'ppds machines trust \(me.id) --key \(trust.myKey.publicKeyText)' trusts this one")
            let rows = MachinesCommand.rows(trust)
            if rows.isEmpty { print("No other machine seen yet; 'ppds sync' records the machines whose commits it reads.") }
            for row in rows {
                let did = row.actions.isEmpty ? "" : " · did: " + row.actions.suffix(3).joined(separator: "; ")
                let seen = row.lastSeen.map { " · last seen \(Timestamp.format($0))" } ?? ""
                print("\(TerminalText.escaped(row.label)) (\(TerminalText.escaped(row.id))) \(row.fingerprint ?? "unsigned") · \(row.state)\(seen)\(TerminalText.escaped(did))")
            }
        }
    }

    struct Trust: PPDSCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust", abstract: "Trust a machine: its guidance is relayed to agents here, its pauses and claims obeyed.")
        @Argument(help: "The machine's id or key fingerprint (as 'ppds machines' lists them).") var machine: String
        @Option(help: "The machine's public key (base64, as 'ppds machines' prints it on that machine), to trust it before any sync.") var key: String?

        func execute() throws {
            var trusted: MachineTrust.Trusted?
            try MachineTrust.modify(home: CLI.store.home) { trust in trusted = try trust.trust(machine, key: key) }
            guard let trusted else { return }
            print("trusted \(TerminalText.escaped(trusted.label)) (\(TerminalText.escaped(trusted.id))) \(MachineKey.fingerprint(of: trusted.key)); its guidance, pauses and claims act here from now on")
        }
    }

    struct Untrust: PPDSCommand {
        static let configuration = CommandConfiguration(commandName: "untrust", abstract: "Stop trusting a machine.")
        @Argument(help: "The machine's id or key fingerprint.") var machine: String

        func execute() throws {
            var removed: [MachineTrust.Trusted] = []
            try MachineTrust.modify(home: CLI.store.home) { trust in removed = try trust.untrust(machine) }
            for item in removed {
                print("no longer trusted: \(TerminalText.escaped(item.label)) (\(TerminalText.escaped(item.id))) \(MachineKey.fingerprint(of: item.key))")
            }
        }
    }

    struct Row {
        var id: String
        var label: String
        var fingerprint: String?
        var trusted: Bool
        var state: String
        var lastSeen: Date?
        var actions: [String]
    }

    /// Every machine seen, plus trusted ones never seen, one row per (id, key).
    static func rows(_ trust: MachineTrust) -> [Row] {
        var rows: [Row] = trust.seen.map { item in
            let verdict = trust.verdict(id: item.id, key: item.key, signatureValid: true)
            let state: String
            switch verdict {
            case .trusted: state = "trusted"
            case .untrusted: state = "not trusted"
            case .unsigned: state = "unsigned commits (unverified)"
            case .forged: state = item.id == trust.me.id ? "forged: uses this machine's id" : "not trusted: not the key trusted for this id (a new key, or a forgery)"
            case .own: state = "this machine"
            }
            return Row(id: item.id, label: item.label, fingerprint: item.key.map(MachineKey.fingerprint), trusted: verdict == .trusted,
                       state: state, lastSeen: item.lastSeen, actions: item.actions)
        }
        for item in trust.trusted where !trust.seen.contains(where: { $0.id == item.id && $0.key == item.key }) {
            rows.append(Row(id: item.id, label: item.label, fingerprint: MachineKey.fingerprint(of: item.key), trusted: true,
                            state: "trusted (not seen yet)", lastSeen: nil, actions: []))
        }
        return rows.sorted { ($0.id, $0.fingerprint ?? "") < ($1.id, $1.fingerprint ?? "") }
    }

    static func json(_ trust: MachineTrust) -> OrderedJSON {
        var out = OrderedJSON()
        out["version"] = .int(1)
        out["self"] = .object(["id": .string(trust.me.id), "label": .string(trust.me.label), "fingerprint": .string(trust.myKey.fingerprint),
                               "key": .string(trust.myKey.publicKeyText)])
        out["machines"] = .array(rows(trust).map { row in
            .object(["id": .string(row.id), "label": .string(row.label), "fingerprint": row.fingerprint.map(JSONValue.string) ?? .null,
                     "trusted": .bool(row.trusted), "state": .string(row.state),
                     "lastSeen": row.lastSeen.map { .string(Timestamp.format($0)) } ?? .null,
                     "did": .array(row.actions.map(JSONValue.string))])
        })
        return out
    }
}
