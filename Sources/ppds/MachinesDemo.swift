import Foundation
import Config
import GitKit
import Lifecycle
import SessionKit
import Support
import View
import LifecycleCore
import Replication

/// `ppds demo --machines 2`: two machines (two clones, two PPDS_HOMEs) share one bare origin.
/// A worker on the cloud VM gets stuck; the laptop sees it after a sync and guides it; the
/// guidance reaches the VM on its next sync. Claims keep the laptop from starting the same issue.
struct MachinesDemo {
    var keep: Bool
    var color: Bool

    struct Host {
        let machine: Machine
        let workspace: Workspace
        let config: Config
    }

    func run() throws(PPDSError) {
        guard let fixture = Demo.fixtureFolder() else {
            throw PPDSError.failed("Fixtures/demo-repo was not found; run the demo from the ppds checkout, or set PPDS_FIXTURES")
        }
        let root = canonicalPath(NSTemporaryDirectory()) + "/ppds-machines-\(UUID().uuidString.prefix(8))"
        defer {
            if keep { print("\nKept everything under \(root).") } else { try? FileManager.default.removeItem(atPath: root) }
        }
        let origin = root + "/origin.git"
        try step("Setting up origin.git and two clones: laptop/ and cloud-vm/, each with its own PPDS_HOME") {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let seed = root + "/seed"
            try FileManager.default.copyItem(atPath: fixture, toPath: seed)
            try FileManager.default.moveItem(atPath: seed + "/gitignore", toPath: seed + "/.gitignore")
            try git(["init", "-q", "-b", "main"], in: seed)
            try git(["add", "-A"], in: seed)
            try git(["commit", "-q", "-m", "shop: first version"], in: seed)
            try git(["clone", "-q", "--bare", seed, origin], in: root)
            for name in ["laptop", "cloud-vm"] {
                try git(["clone", "-q", origin, root + "/" + name], in: root)
                try FileManager.default.createDirectory(atPath: root + "/home-" + name, withIntermediateDirectories: true)
                try "m-demo-\(name)\n".write(toFile: root + "/home-\(name)/machine-id", atomically: true, encoding: .utf8)
                try "\(name)\n".write(toFile: root + "/home-\(name)/machine-label", atomically: true, encoding: .utf8)
                try "[registry]\nremote = \"origin\"\n".write(toFile: root + "/home-\(name)/config.toml", atomically: true, encoding: .utf8)
            }
        }
        let laptop = try host("laptop", root)
        let vm = try host("cloud-vm", root)
        try step("Each machine trusts the other's signing key ('ppds machines trust <id> --key <key>' on each side)") {
            let laptopKey = try MachineKey.load(home: laptop.workspace.store.home), vmKey = try MachineKey.load(home: vm.workspace.store.home)
            try MachineTrust.modify(home: laptop.workspace.store.home, machine: laptop.machine) { _ = try $0.trust(vm.machine.id, key: vmKey.publicKeyText) }
            try MachineTrust.modify(home: vm.workspace.store.home, machine: vm.machine) { _ = try $0.trust(laptop.machine.id, key: laptopKey.publicKeyText) }
        }

        print(heading("1. cloud-vm: ppds start-work 103 (claims #103 on origin first)"))
        let info = IssueInfo(issue: IssueNumber(103)!, title: "Token refresh for sessions", labels: ["enhancement"])
        for result in StartWork(workspace: vm.workspace, config: vm.config)
            .run(StartWorkRequest(issues: [info.issue], known: [info.issue: info], offline: true, runHooks: false)) {
            print(StartWorkText.describe(result))
        }
        print(heading("2. laptop: ppds start-work 103 is refused: the VM holds the claim"))
        for result in StartWork(workspace: laptop.workspace, config: laptop.config)
            .run(StartWorkRequest(issues: [info.issue], known: [info.issue: info], offline: true, runHooks: false)) {
            print(StartWorkText.describe(result))
        }

        print(heading("3. cloud-vm: the worker gets stuck; ppds sync"))
        _ = try SessionChanges.apply(.update(status: .stuck, stuck: StuckRequest(
            reason: "Auth/Security decision needed", context: "Sliding or fixed expiration?",
            options: ["sliding", "fixed"]), pr: nil, force: false), to: info.issue, in: vm.workspace.store, workspace: vm.workspace)
        print("ppds update 103 --status stuck --reason \"Auth/Security decision needed\" --option sliding --option fixed")
        try sync(vm)

        print(heading("4. laptop: ppds sync; ppds status --everywhere"))
        try sync(laptop)
        print(indent(EverywhereText().render(EverywhereText.sessions(laptop.workspace))))

        print(heading("5. laptop: ppds guide 103 \"sliding, 30 minutes\"; ppds sync"))
        _ = try SessionChanges.apply(.guide(message: "sliding, 30 minutes"), to: info.issue, in: laptop.workspace.store, workspace: laptop.workspace)
        try sync(laptop)

        print(heading("6. cloud-vm: ppds sync (e.g. from 'ppds wait --sync-interval 30s'): the guidance arrives"))
        try sync(vm)
        let session = try PPDSError.wrapping { try vm.workspace.store.load(info.issue) }
        for item in session.guidance { print("  guidance for #103: \"\(TerminalText.escaped(item.message))\" (from the laptop)") }
        guard session.guidance.contains(where: { $0.message == "sliding, 30 minutes" }) else {
            throw PPDSError.failed("demo: the guidance did not reach the VM")
        }
        _ = try SessionChanges.apply(.update(status: .working, stuck: nil, pr: nil, force: false), to: info.issue, in: vm.workspace.store, workspace: vm.workspace)
        print("ppds update 103 --status working")
        try sync(vm)

        print(heading("7. laptop: ppds sync; ppds status --everywhere"))
        try sync(laptop)
        print(indent(EverywhereText().render(EverywhereText.sessions(laptop.workspace))))
        print("\nDone: one issue claimed once, stuck on the VM, guided from the laptop, back to work; no server but the git remote.")
    }

    private func host(_ name: String, _ root: String) throws(PPDSError) -> Host {
        let home = root + "/home-" + name
        let workspace = Workspace(repoRoot: canonicalPath(root + "/" + name), store: SessionStore(home: home))
        let config = try Config.load(home: home, repoRoot: workspace.repoRoot)
        return Host(machine: try Machine.current(home: home, environment: [:]), workspace: workspace, config: config)
    }

    private func sync(_ host: Host) throws(PPDSError) {
        let report = try RegistrySync(workspace: host.workspace, remote: "origin", machine: host.machine).run()
        print("ppds sync (\(host.machine.label))")
        print(indent(SyncText.render(report)))
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    private func heading(_ text: String) -> String {
        color ? "\n\u{1B}[1;36m== \(text)\u{1B}[0m" : "\n== \(text)"
    }

    private func step(_ label: String, _ body: () throws -> Void) throws(PPDSError) { try DemoSteps.step(label, body) }

    private func git(_ arguments: [String], in directory: String) throws { try DemoSteps.git(arguments, in: directory) }
}
