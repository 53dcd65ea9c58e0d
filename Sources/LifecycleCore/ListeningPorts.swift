import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The TCP ports something listens on, in this process's network namespace (any user, IPv4 and
/// IPv6): what `PortAllocation` keeps new blocks away from.
///
/// Asked of the kernel's socket diagnostics (netlink `SOCK_DIAG_BY_FAMILY`, listening sockets
/// only, as `ss -lt` does), with `/proc/net/tcp` and `tcp6` as the fallback. Both list the same
/// sockets, but reading `/proc/net/tcp` makes the kernel walk its whole established-connection
/// hash table, listening or not: 7 ms of CPU per start-work on a server with a large table,
/// against 0.05 ms for the diagnostics.
public enum ListeningPorts {
    public static func current() -> Set<Int> {
        socketDiagnostics() ?? procNet()
    }

    /// From `/proc/net/tcp` and `tcp6`: lines whose state (`st`) is 0A, LISTEN.
    public static func procNet() -> Set<Int> {
        var ports: Set<Int> = []
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                // sl local_address rem_address st …: local is HEXADDR:HEXPORT, st 0A is LISTEN.
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { continue }
                ports.insert(port)
            }
        }
        return ports
    }

    /// From netlink's socket diagnostics, one dump per address family; nil when the kernel or a
    /// sandbox refuses it (the caller then reads `/proc`).
    public static func socketDiagnostics() -> Set<Int>? {
        #if os(Linux)
        var ports: Set<Int> = []
        for family in [AF_INET, AF_INET6] {
            guard let found = dump(family: UInt8(family)) else { return nil }
            ports.formUnion(found)
        }
        return ports
        #else
        return nil
        #endif
    }

    #if os(Linux)
    // From linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h and net/tcp_states.h.
    private static let netlinkSockDiag: Int32 = 4
    private static let sockDiagByFamily: UInt16 = 20
    private static let requestFlags: UInt16 = 0x1 | 0x300  // NLM_F_REQUEST | NLM_F_DUMP
    private static let messageDone: UInt16 = 3, messageError: UInt16 = 2
    private static let tcpListen: UInt8 = 10
    private static let headerSize = 16  // struct nlmsghdr
    private static let requestSize = 56  // struct inet_diag_req_v2

    /// One `SOCK_DIAG_BY_FAMILY` dump of `family`'s listening TCP sockets.
    private static func dump(family: UInt8) -> Set<Int>? {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // nlmsghdr (length, type, flags, sequence, port id), then inet_diag_req_v2: family,
        // protocol, extensions, padding, the states wanted as a bit mask, and a zero socket id.
        var request = [UInt8](repeating: 0, count: headerSize + requestSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { request.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0) }
        }
        put(UInt32(request.count), at: 0)
        put(sockDiagByFamily, at: 4)
        put(requestFlags, at: 6)
        put(UInt32(1), at: 8)
        request[headerSize] = family
        request[headerSize + 1] = UInt8(IPPROTO_TCP)
        put(UInt32(1) << UInt32(tcpListen), at: headerSize + 4)
        guard send(fd, request, request.count, 0) == request.count else { return nil }

        var ports: Set<Int> = []
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            var offset = 0
            while offset + headerSize <= count {
                func read<T: FixedWidthInteger>(_: T.Type, at position: Int) -> T {
                    buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
                }
                let length = Int(read(UInt32.self, at: offset)), type = read(UInt16.self, at: offset + 4)
                guard length >= headerSize, offset + length <= count else { return nil }
                if type == messageDone { return ports }
                if type == messageError { return nil }
                // inet_diag_msg: family, state, timer, retransmits, then the socket id, whose
                // first field is the source port in network byte order.
                if type == sockDiagByFamily, length >= headerSize + 8, buffer[offset + headerSize + 1] == tcpListen {
                    ports.insert(Int(UInt16(bigEndian: read(UInt16.self, at: offset + headerSize + 4))))
                }
                offset += (length + 3) & ~3
            }
        }
    }
    #endif
}
