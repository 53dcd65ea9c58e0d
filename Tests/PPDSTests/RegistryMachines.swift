import Foundation
import Testing
import TestSupport
import Support

/// Several "machines" sharing one registry remote: each a separate clone of a bare repository,
/// with its own `PPDS_HOME` and `PPDS_MACHINE_ID`.
final class RegistryMachines: @unchecked Sendable {
    let seed: GitFixture
    let bare: String
    /// The URL every clone uses as `origin`: file://, or git:// when served by git daemon.
    let url: String
    private var daemon: Process?

    enum Transport { case file, daemon(receivePack: Bool) }

    init(transport: Transport = .file) throws {
        seed = try GitFixture()
        bare = seed.folder.file("remote.git")
        try seed.git("clone", "-q", "--bare", seed.repo, bare)
        switch transport {
        case .file:
            url = "file://" + bare
        case .daemon(let receivePack):
            let (process, port) = try Self.startDaemon(base: seed.folder.path, receivePack: receivePack)
            daemon = process
            url = "git://127.0.0.1:\(port)/remote.git"
        }
    }

    deinit {
        if let daemon, daemon.isRunning { kill(daemon.processIdentifier, SIGKILL); daemon.waitUntilExit() }
    }

    struct DaemonFailure: Error {}

    static let daemonPath = "/usr/lib/git-core/git-daemon"
    static var hasDaemon: Bool { FileManager.default.isExecutableFile(atPath: daemonPath) }

    /// git daemon on a free loopback port (tries a few), serving `base`.
    static func startDaemon(base: String, receivePack: Bool) throws -> (Process, Int) {
        for _ in 0..<10 {
            let port = Int.random(in: 20000...60000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: daemonPath)
            process.arguments = ["--reuseaddr", "--export-all", "--base-path=" + base, "--listen=127.0.0.1", "--port=\(port)"]
                + (receivePack ? ["--enable=receive-pack"] : []) + [base]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<50 {
                if !process.isRunning { break }
                if canConnect(port) { return (process, port) }
                usleep(50_000)
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        throw DaemonFailure()
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    struct Machine {
        let name: String
        let repo: String
        let home: String
        /// The machine id (`id-<name>` unless a test forges another machine's).
        var id: String
        /// The label (the name unless a test forges another).
        var label: String
        /// Its signing key's public half (base64), made by its first ppds command.
        var key = ""

        init(name: String, repo: String, home: String, id: String? = nil, label: String? = nil) {
            self.name = name
            self.repo = repo
            self.home = home
            self.id = id ?? "id-" + name
            self.label = label ?? name
        }

        var environment: [String: String] { ["PPDS_HOME": home, "PPDS_MACHINE_ID": id, "PPDS_MACHINE_LABEL": label] }
    }

    /// Machines made with `trusted: true`: each trusts every other one (as two people who ran
    /// 'ppds machines trust' on each side would have).
    private var fleet: [Machine] = []

    /// A new machine: a clone of the remote, its own home, optionally `registry.remote = "origin"`.
    /// `trusted`: it and every other trusted machine trust each other's keys. `id` and `label`
    /// override its identity (a forger's).
    func machine(_ name: String, claims: Bool = false, trusted: Bool = true, id: String? = nil, label: String? = nil) throws -> Machine {
        var machine = Machine(name: name, repo: seed.folder.file("m-" + name), home: seed.folder.file("home-" + name), id: id, label: label)
        try runProcess("/usr/bin/git", ["clone", "-q", url, machine.repo]).check()
        try FileManager.default.createDirectory(atPath: machine.home, withIntermediateDirectories: true)
        if claims { try "[registry]\nremote = \"origin\"\n".write(toFile: machine.home + "/config.toml", atomically: true, encoding: .utf8) }
        machine.key = try selfKey(machine)
        if trusted {
            for other in fleet {
                try addTrust(in: other.home, of: machine)
                try addTrust(in: machine.home, of: other)
            }
            fleet.append(machine)
        }
        return machine
    }

    /// The machine's own public key, as 'ppds machines --json' prints it (made on first use).
    func selfKey(_ machine: Machine) throws -> String {
        let listing = try ppds(machine, ["machines", "--json"]).check().json()
        return (listing["self"] as? [String: Any])?["key"] as? String ?? ""
    }

    /// Writes a trust record into `home`'s machines.json (what 'ppds machines trust ID --key KEY'
    /// does; written directly, since twenty machines would take 380 runs).
    func addTrust(in home: String, of machine: Machine) throws {
        let file = home + "/machines.json"
        var object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))) as? [String: Any] ?? ["version": 1, "seen": [Any]()]
        var trusted = object["trusted"] as? [[String: Any]] ?? []
        trusted.removeAll { $0["id"] as? String == machine.id }
        trusted.append(["id": machine.id, "label": machine.label, "key": machine.key, "since": "2026-01-01T00:00:00Z"])
        object["trusted"] = trusted
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: file))
    }

    @discardableResult
    func ppds(_ machine: Machine, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(TestEnvironment.ppdsBinary, arguments, in: machine.repo, environment: machine.environment.merging(environment) { $1 })
    }

    /// `ppds sync --json`, checked.
    @discardableResult
    func sync(_ machine: Machine) throws -> [String: Any] {
        try ppds(machine, ["sync", "--json"]).check().json()
    }

    /// The session as this machine sees it: its own file, or its mirror copy.
    func sessionJSON(_ machine: Machine, _ issue: Int) throws -> [String: Any]? {
        let own = machine.home + "/sessions/work-\(issue).json"
        var file = own
        if !FileManager.default.fileExists(atPath: own) {
            let registry = machine.home + "/registry"
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: registry)) ?? []
            guard let folder = folders.first(where: { FileManager.default.fileExists(atPath: registry + "/" + $0 + "/sessions/work-\(issue).json") }) else { return nil }
            file = registry + "/" + folder + "/sessions/work-\(issue).json"
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The same session, compared as JSON text with sorted keys.
    func canonical(_ machine: Machine, _ issue: Int) throws -> String? {
        guard let object = try sessionJSON(machine, issue) else { return nil }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func remoteRefs() throws -> [String: String] {
        let text = try runProcess("/usr/bin/git", ["-C", bare, "for-each-ref", "--format=%(refname) %(objectname)", "refs/ppds"]).check().stdout
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
        }
        return out
    }
}
