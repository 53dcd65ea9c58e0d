import Foundation
import Testing
import TestSupport
import LifecycleCore
import SessionKit
import Support

/// Each session's block of ports: chosen once, unique under concurrent starts, given to the
/// commands a session runs, freed when the session ends.
@Suite struct SessionPortsTests {
    @Test(arguments: [
        // (taken, listening, expected first port; nil: none left)
        ([], [], 41000),
        ([PortBlock(first: 41000, count: 10)], [], 41010),
        ([PortBlock(first: 41000, count: 10), PortBlock(first: 41010, count: 10)], [], 41020),
        // A block of another size that overlaps counts as taken.
        ([PortBlock(first: 41015, count: 3)], [], 41000),
        ([PortBlock(first: 41005, count: 10)], [], 41020),
        // A port something listens on keeps its block out.
        ([], [41003], 41010),
    ] as [([PortBlock], Set<Int>, Int?)])
    func choice(_ taken: [PortBlock], _ listening: Set<Int>, _ expected: Int?) {
        #expect(PortAllocation.choose(base: 41000, size: 10, taken: taken, listening: listening)?.first == expected)
    }

    @Test func noBlockLeftIsNil() {
        #expect(PortAllocation.choose(base: 65530, size: 3, taken: [PortBlock(first: 65530, count: 3), PortBlock(first: 65533, count: 3)], listening: []) == nil)
        #expect(PortAllocation.choose(base: 65530, size: 3, taken: [], listening: [])?.range == 65530...65532)
    }

    @Test func listeningPortsAreRead() throws {
        // A socket of our own that listens must be seen.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // Both sources see it, and the same sockets (read again if another process's listener
        // came or went between the two reads).
        #expect(ListeningPorts.current().contains(port))
        let fromProc = ListeningPorts.procNet()
        #expect(fromProc.contains(port))
        let fromDiagnostics = try #require(ListeningPorts.socketDiagnostics())
        #expect(fromDiagnostics.contains(port))
        var agree = fromDiagnostics == fromProc
        for _ in 0..<3 where !agree { agree = ListeningPorts.socketDiagnostics() == ListeningPorts.procNet() }
        #expect(agree)
    }

    @Test func listeningIPv6PortsAreRead() throws {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin6_port))
        #expect(try #require(ListeningPorts.socketDiagnostics()).contains(port))
        #expect(ListeningPorts.procNet().contains(port))
    }

    @Test func concurrentStartsGetDistinctBlocksAndCommandsSeeThem() throws {
        let fixture = try GitFixture()
        // Six start-works at once, each its own process.
        let starts = try (1...6).map { issue in try fixture.launchPPDS(["start-work", String(issue), "--offline", "--title", "Ports \(issue)"]) }
        for process in starts { process.waitUntilExit() }
        #expect(starts.allSatisfy { $0.terminationStatus == 0 })
        let status = try fixture.ppds(["status", "--json"]).json()
        let blocks = (status["sessions"] as? [[String: Any]] ?? []).compactMap { ($0["ports"] as? [String: Any])?["first"] as? Int }
        #expect(blocks.count == 6)
        #expect(Set(blocks).count == 6, "\(blocks)")
        #expect(blocks.allSatisfy { $0 >= 41000 && ($0 - 41000) % 10 == 0 })

        // Hooks, --exec and spawned agents get them.
        let output = fixture.folder.file("env.txt")
        try fixture.ppds(["start-work", "7", "--offline", "--json", "--exec", "/bin/sh", "-c",
                          "echo \"$PPDS_PORT $PPDS_PORTS $PPDS_ISSUE $PPDS_WORKTREE\" > \(output)"]).check()
        let shown = try fixture.ppds(["show", "7", "--json"]).json()
        let session = try #require(shown["session"] as? [String: Any])
        let first = try #require((session["ports"] as? [String: Any])?["first"] as? Int)
        #expect(!blocks.contains(first))
        var written = ""
        for _ in 0..<100 where written.isEmpty {
            written = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if written.isEmpty { usleep(50_000) }
        }
        #expect(written == "\(first) \(first)-\(first + 9) 7 \(session["worktree"] as? String ?? "?")\n")
        #expect(try fixture.ppds(["show", "7"]).check().stdout.contains("ports:     \(first)–\(first + 9) (PPDS_PORT=\(first))"))

        // Cancelled frees the block: the next start may get it.
        try fixture.ppds(["cancel", "1"]).check()
        let freed = ((status["sessions"] as? [[String: Any]])?.first { $0["issue"] as? String == "#1" }?["ports"] as? [String: Any])?["first"] as? Int
        try fixture.ppds(["start-work", "8", "--offline"]).check()
        let eight = try fixture.ppds(["show", "8", "--json"]).json()
        #expect(((eight["session"] as? [String: Any])?["ports"] as? [String: Any])?["first"] as? Int == freed)
    }

    @Test func exhaustedRangeIsAClearError() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.home, withIntermediateDirectories: true)
        try "[ports]\nbase = 65530\nsize = 3\n".write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        try fixture.ppds(["start-work", "1", "--offline"]).check()
        try fixture.ppds(["start-work", "2", "--offline"]).check()
        let third = try fixture.ppds(["start-work", "3", "--offline"])
        #expect(third.status != 0)
        #expect(third.stderr.contains("no free block of 3 ports from 65530"), "\(third.stderr)")
        #expect(!fixture.sessionFileExists(3))

        try "[ports]\nbase = 80\n".write(toFile: fixture.home + "/config.toml", atomically: true, encoding: .utf8)
        let bad = try fixture.ppds(["status"])
        #expect(bad.status != 0 && bad.stderr.contains("ports.base"), "\(bad.stderr)")
    }
}
