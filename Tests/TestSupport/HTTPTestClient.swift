import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 client over a socket, for testing `ppds serve` without other packages.
public struct HTTPReply: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: String

    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw ProcessFailure(result: ProcessResult(status: Int32(status), stdout: body, stderr: ""))
        }
        return object
    }
}

public final class HTTPConnection {
    let fd: Int32
    var received = Data()

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw ProcessFailure(result: ProcessResult(status: errno, stdout: "", stderr: "connect failed")) }
    }

    deinit { close(fd) }

    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            offset += count
        }
    }

    /// Reads until `done(text so far)` or `timeout` seconds; returns the text.
    @discardableResult
    public func read(timeout: TimeInterval, until done: (String) -> Bool = { _ in false }) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !done(String(decoding: received, as: UTF8.self)) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(remaining * 1000)) > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// One request with `Connection: close`; the whole reply.
public func httpRequest(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil,
                        host: String? = nil, timeout: TimeInterval = 10) throws -> HTTPReply {
    let connection = try HTTPConnection(port: port)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    if let body { request += "Content-Length: \(body.utf8.count)\r\n" }
    request += "\r\n" + (body ?? "")
    connection.send(request)
    let text = connection.read(timeout: timeout)
    return parseReply(text)
}

func parseReply(_ text: String) -> HTTPReply {
    guard let split = text.range(of: "\r\n\r\n") else { return HTTPReply(status: 0, headers: [:], body: text) }
    let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = String(text[split.upperBound...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" {
        var decoded = "", rest = Substring(body)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            decoded += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        body = decoded
    }
    return HTTPReply(status: status, headers: headers, body: body)
}

/// A running `ppds serve` on a free port, stopped with SIGTERM when released.
public final class ServerProcess {
    public let process = Process()
    public private(set) var port = 0
    public private(set) var output = ""
    private let pipe = Pipe()

    public init(_ fixture: GitFixture, arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
        process.arguments = ["serve", "--port", "0", "--interval", "1"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: fixture.repo)
        var env = ProcessInfo.processInfo.environment
        env["PPDS_HOME"] = fixture.home
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let fd = pipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !output.contains("listening on") {
            guard let chunk = readChunk(fd) else { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        guard let match = output.range(of: #":(\d+) \("#, options: .regularExpression) else {
            throw ProcessFailure(result: ProcessResult(status: -1, stdout: output, stderr: "serve did not start"))
        }
        port = Int(output[match].dropFirst().dropLast(2)) ?? 0
    }

    /// Stops the server; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { _ = stop() }
}
