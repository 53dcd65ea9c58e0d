// swift-tools-version:6.1
import PackageDescription

// The layers, bottom up; no target depends on one above it:
//   CGit2 → GitKit ─┐                                         ┌→ Replication ─┬→ Agents ─┐
//   Support ────────┼→ SessionKit → Config → LifecycleCore ───┤               └──────────┼→ Lifecycle → View ─┬→ PPDSServer ─┬→ ppds-full (CLI)
//                                                             └→ Forge ──────────────────┘                   └→ PPDSMCP ────┘
// LifecycleCore, Replication, Agents and Forge are the concerns; Lifecycle holds the worktree
// operations, which combine them (start-work claims, prune releases claims, doctor checks the registry).
let package = Package(
    name: "ppds",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ppds", targets: ["ppds"]),
        .executable(name: "ppds-full", targets: ["ppds-full"]),
        .library(name: "Lifecycle", targets: ["Lifecycle"]),
        .library(name: "View", targets: ["View"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // TOML 1.0 (toml++ underneath) for the config files.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Ed25519 for the per-machine registry signing keys.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // The official MCP SDK, for `ppds mcp` (stdio).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.0.0"),
    ],
    targets: [
        // Debian's libgit2 1.5.1 (apt libgit2-dev).
        .systemLibrary(
            name: "CGit2",
            path: "CGit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // What every layer uses and that is not git: processes, files, locks, the watcher, JSON, text.
        .target(name: "Support", dependencies: ["CSpawn"]),
        // posix_spawn with a working folder and a process group of its own (for Support's runner).
        .target(name: "CSpawn"),
        // Swift types that own libgit2 objects. No git subprocess in here.
        .target(name: "GitKit", dependencies: ["CGit2", "Support"]),
        // Session status files: schema, validation, transitions, atomic writes, locking.
        .target(name: "SessionKit", dependencies: ["Support"]),
        // `config.toml` / `.ppds.toml` and the trust records.
        .target(name: "Config", dependencies: ["Support", .product(name: "TOMLKit", package: "TOMLKit")]),
        // What every concern shares: the workspace, hooks, session changes (with their mirror copies),
        // naming, and error reasons.
        // What the front runs on every step, on FoundationEssentials alone (no libgit2): the
        // workspace, session targeting, a worker's update, and the agent hook's events.
        .target(name: "WorkerSteps", dependencies: ["SessionKit", "Support"]),
        .target(name: "LifecycleCore", dependencies: ["WorkerSteps", "GitKit", "SessionKit", "Config", "Support"]),
        // Replication across machines: the registry refs, claims, sync, and the per-machine signing.
        .target(name: "Replication", dependencies: ["LifecycleCore", "GitKit", "SessionKit", "Config", "Support", .product(name: "Crypto", package: "swift-crypto")]),
        // Agent integration: agent hooks and settings, the worker inbox, MCP client config, plan review,
        // the answer queue, notifications. Uses Replication only for where signed guidance came from.
        .target(name: "Agents", dependencies: ["WorkerSteps", "Replication", "LifecycleCore", "GitKit", "SessionKit", "Config", "Support"]),
        // The forge: issues and pull requests through `gh`, and their cache.
        .target(name: "Forge", dependencies: ["LifecycleCore", "GitKit", "SessionKit", "Config", "Support"]),
        // The worktree operations (start-work, prune, trash, cancel, adopt, ship, recovery) and the one
        // diagnosis (doctor): one library function each, combining the concerns below.
        .target(name: "Lifecycle", dependencies: ["LifecycleCore", "Replication", "Agents", "Forge", "GitKit", "SessionKit", "Config", "Support"]),
        // The orchestrator view from git and the session files, and every report's text.
        .target(name: "View", dependencies: ["Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "GitKit", "SessionKit", "Config", "Support"]),
        // ppds serve: the HTTP API, live events and the dashboard.
        .target(
            name: "PPDSServer",
            dependencies: [
                "View", "Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "SessionKit", "Config", "Support",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // ppds mcp: the same operations as tools and resources for an orchestrating agent, over stdio.
        .target(
            name: "PPDSMCP",
            dependencies: [
                "View", "Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "SessionKit", "Config", "Support",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The full program: every command (swift-argument-parser). Installed next to `ppds`,
        // which runs it for everything the front does not answer itself.
        .executableTarget(
            name: "ppds-full",
            dependencies: [
                "View", "Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "GitKit", "SessionKit", "Config", "Support", "WorkerSteps", "PPDSServer", "PPDSMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/ppds",
            // As the front (below): the Swift runtime and Foundation linked in (release), so
            // their symbols are bound at link time, not looked up at every start.
            // FoundationNetworking (the MCP SDK's HTTP client, unused by `ppds mcp` over stdio)
            // still loads the system's libcurl.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationInternationalization",
                                           "-lFoundationEssentials", "-lFoundationNetworking", "-l_CFURLSessionInterface", "-lCoreFoundation",
                                           "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
                                           "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime", "-Xlinker", "--end-group",
                                           "-l:libcurl.so.4", "-lstdc++", "-lm"],
                                          .when(configuration: .release))]
        ),
        // `ppds`, the front: answers `hook`, `update --status`, `path`, `--version` and `--help`
        // itself, with only what they need (no parser, server, MCP SDK; the Swift runtime linked
        // in, so nothing of it is loaded at start), and runs `ppds-full` for everything else. It
        // does not depend on `ppds-full`: SwiftPM would link all of that target's dependencies
        // into the front. `swift build` builds both; the tests depend on both.
        .executableTarget(
            name: "ppds",
            dependencies: ["WorkerSteps", "SessionKit", "Support", "CSpawn"],
            path: "Sources/PPDSFront",
            exclude: ["make-root-help.sh"],
            // Fully static in release: the Swift runtime and FoundationEssentials (no Foundation,
            // ICU or libgit2 below the front), so a hook loads no shared library at all.
            // FoundationEssentials' own static dependencies are named after it (SwiftPM names only
            // what the front's modules import).
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "--start-group", "-lFoundationEssentials", "-l_FoundationCShims",
                                           "-l_FoundationCollections", "-lswiftSynchronization", "-lswiftDispatch", "-ldispatch",
                                           "-lBlocksRuntime", "-Xlinker", "--end-group"],
                                          .when(configuration: .release))]
        ),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "Support", "TestSupport"]),
        .testTarget(name: "SessionKitTests", dependencies: ["SessionKit", "Support", "TestSupport", "ppds", "ppds-full"]),
        .testTarget(name: "PPDSTests", dependencies: ["View", "Lifecycle", "LifecycleCore", "WorkerSteps", "Replication", "Agents", "Forge", "Config", "GitKit", "SessionKit", "Support", "TestSupport", "ppds", "ppds-full"]),
        .testTarget(name: "PPDSMCPTests", dependencies: [
            "PPDSMCP", "Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "SessionKit", "Support", "TestSupport", "ppds", "ppds-full",
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .testTarget(name: "PPDSServerTests", dependencies: [
            "PPDSServer", "View", "Lifecycle", "LifecycleCore", "Replication", "Agents", "Forge", "SessionKit", "Support", "TestSupport", "ppds", "ppds-full",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .target(name: "TestSupport", dependencies: ["Support"], path: "Tests/TestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
