import Foundation
#if canImport(Glibc)
import Glibc
#endif

// What the end-to-end tests of `ppds serve` need over a real socket: raw requests (broken
// framing, any Host), long-lived event streams, and the server as a process to signal. Route
// tests run in-process with HummingbirdTesting instead.

/// A reply read off a socket.
public struct HTTPReply: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: String
}

/// One client connection to 127.0.0.1.
public final class HTTPConnection {
    let fd: Int32
    var received = Data()
    /// Whether the server closed the connection.
    public private(set) var isClosed = false

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

    /// Reads until `done(text so far)`, the end of the stream or `timeout` seconds; returns
    /// everything received so far.
    @discardableResult
    public func read(timeout: TimeInterval, until done: (String) -> Bool = { _ in false }) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !isClosed, !done(String(decoding: received, as: UTF8.self)) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(remaining * 1000)) > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { isClosed = true; break }
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
    return parseReply(connection.read(timeout: timeout))
}

/// A response as text: status, headers (lowercased names) and the body, de-chunked.
public func parseReply(_ text: String) -> HTTPReply {
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
            let bytes = Array(rest[lineEnd.upperBound...].utf8)
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

    /// `launcher` runs the server (e.g. `["/usr/bin/prlimit", "--nofile=100"]`); the server's
    /// pid is the launcher's, which must exec it.
    public init(_ fixture: GitFixture, arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws {
        let command = launcher + [TestEnvironment.ppdsBinary, "serve", "--port", "0", "--interval", "1"] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
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
        token = ((try? String(contentsOfFile: fixture.home + "/serve-token", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The token the server wrote at its start (`$PPDS_HOME/serve-token`).
    public private(set) var token = ""

    /// The header every request needs.
    public var authorization: [String: String] { ["Authorization": "Bearer " + token] }

    /// The same header as a raw request line.
    public var authorizationLine: String { "Authorization: Bearer \(token)\r\n" }

    /// One request with the token; `headers` add to or replace it.
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil,
                        host: String? = nil, timeout: TimeInterval = 10) throws -> HTTPReply {
        try httpRequest(port: port, method, path, headers: authorization.merging(headers) { $1 }, body: body, host: host, timeout: timeout)
    }

    /// Stops the server; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGTERM and waits up to `timeout` seconds (then SIGKILL); returns the exit status
    /// and how long the server took to exit.
    public func terminate(timeout: TimeInterval) -> (status: Int32, seconds: TimeInterval) {
        let start = Date()
        process.terminate()
        while process.isRunning, Date().timeIntervalSince(start) < timeout { usleep(10_000) }
        let seconds = Date().timeIntervalSince(start)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, seconds)
    }

    deinit { _ = stop() }
}

/// Runs the built `ppds` and waits at most `timeout` seconds (then kills it); for commands
/// that would run on if they did not fail.
public func runPPDS(_ arguments: [String], home: String, in directory: String, timeout: TimeInterval) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestEnvironment.ppdsBinary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(["PPDS_HOME": home]) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let start = Date()
    while process.isRunning, Date().timeIntervalSince(start) < timeout { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: readToEnd(out.fileHandleForReading.fileDescriptor), as: UTF8.self),
                         stderr: String(decoding: readToEnd(err.fileHandleForReading.fileDescriptor), as: UTF8.self))
}
