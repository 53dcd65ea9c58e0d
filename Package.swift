// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ppds",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ppds", targets: ["ppds"]),
        .library(name: "PPDSCore", targets: ["PPDSCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
    ],
    targets: [
        // Debian's libgit2 1.5.1 (apt libgit2-dev).
        .systemLibrary(
            name: "CGit2",
            path: "CGit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // Swift types that own libgit2 objects. No git subprocess in here.
        .target(name: "GitKit", dependencies: ["CGit2"]),
        // Session status files: schema, transitions, atomic writes, locking.
        .target(name: "SessionKit"),
        // Lifecycle operations over both.
        .target(name: "PPDSCore", dependencies: ["GitKit", "SessionKit"]),
        // ppds serve: the HTTP API, live events and the dashboard.
        .target(
            name: "PPDSServer",
            dependencies: ["PPDSCore", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .executableTarget(
            name: "ppds",
            dependencies: [
                "PPDSCore",
                "PPDSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "SessionKitTests", dependencies: ["SessionKit", "TestSupport", "ppds"]),
        .testTarget(name: "PPDSTests", dependencies: ["PPDSCore", "SessionKit", "TestSupport", "ppds"]),
        .testTarget(name: "PPDSServerTests", dependencies: ["PPDSServer", "PPDSCore", "SessionKit", "TestSupport", "ppds", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
