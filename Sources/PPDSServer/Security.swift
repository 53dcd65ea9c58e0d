import Foundation
import Hummingbird
import Config
import Lifecycle
import Support
import View
import SessionKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who may talk to the server. Loopback by default; any other bind needs the bearer token
/// kept in `$PPDS_HOME/serve-token` (mode 0600). Writes need JSON and no foreign Origin.
public struct Security: Sendable {
    /// The bearer token every request needs; nil on a loopback bind.
    let token: String?
    /// Whether the server is bound to loopback; its requests must then name a loopback host.
    let loopback: Bool

    init(token: String?, loopback: Bool) {
        self.token = token
        self.loopback = loopback
    }

    /// The policy for a bind address: loopback needs a loopback Host, anything else the token.
    static func forBind(host: String, home: String) throws(PPDSError) -> Security {
        let loopback = isLoopback(host)
        return Security(token: loopback ? nil : try token(home: home), loopback: loopback)
    }

    /// Whether a bind address (no port) is a loopback one.
    public static func isLoopback(_ host: String) -> Bool {
        LoopbackHost.isLoopbackName(host)
    }

    /// The token file's content, made (random, 0600) when missing.
    static func token(home: String) throws(PPDSError) -> String {
        let file = home + "/serve-token"
        if let data = FileManager.default.contents(atPath: file) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count >= 32 { return text }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        } catch {
            throw PPDSError.failed("\(file): cannot write the token: \(error.localizedDescription)")
        }
        return token
    }

    /// Throws the refusal when the request may not go on.
    func check(_ request: Request) throws(APIError) {
        let authority = request.head.authority ?? ""
        if loopback {
            // A page on another site whose name resolves to 127.0.0.1 (DNS rebinding) sends
            // its own name as Host.
            guard LoopbackHost.isLoopback(authority: authority) else {
                throw APIError(.forbidden, "Host '\(authority)' is not a loopback name")
            }
        }
        if let token {
            let header = request.headers[.authorization] ?? ""
            let given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : request.uri.queryParameters.get("token") ?? ""
            guard Self.constantTimeEqual(given, token) else {
                throw APIError(.unauthorized, "a bearer token is required (see $PPDS_HOME/serve-token)")
            }
        }
        guard Self.isWrite(request.method) else { return }
        guard MediaType.isJSON(request.headers[.contentType]) else {
            throw APIError(.unsupportedMediaType, "write requests need Content-Type: application/json")
        }
        if let origin = request.headers[.origin], origin != "http://" + authority {
            throw APIError(.forbidden, "Origin '\(origin)' is not this server")
        }
    }

    /// Methods that change something; the others only read.
    static func isWrite(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The security check on every request, matched or not: `Security.check` as a middleware.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let security: Security

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try security.check(request)
        return try await next(request, context)
    }
}

/// Which Host values name this machine's loopback interface. Only `localhost`, names under
/// `.localhost` (RFC 6761 keeps them on loopback) and literal loopback addresses, parsed as
/// addresses: 127.0.0.0/8 and ::1. Everything else, `127.0.0.1.evil.example` included, is a
/// name some DNS server chooses the address of.
public enum LoopbackHost {
    /// `authority` is a Host header: a name or an address, with an optional port; an IPv6
    /// address is in brackets when a port follows.
    public static func isLoopback(authority: String) -> Bool {
        guard !authority.isEmpty, authority.utf8.count <= 255, authority.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else { return false }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            let address = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())) else { return false }
            return isIPv6Loopback(String(address))
        }
        let colons = authority.filter { $0 == ":" }.count
        if colons > 1 {
            // A bare IPv6 address; it cannot carry a port.
            return isIPv6Loopback(authority)
        }
        if colons == 1 {
            let colon = authority.firstIndex(of: ":")!
            guard isPort(authority[authority.index(after: colon)...]) else { return false }
            return isLoopbackName(String(authority[..<colon]))
        }
        return isLoopbackName(authority)
    }

    /// A host without a port: `localhost`, `*.localhost`, 127.0.0.0/8, `::1` or `[::1]`.
    public static func isLoopbackName(_ host: String) -> Bool {
        // Visible ASCII only: inet_pton would stop at an embedded NUL and read
        // "127.0.0.1\0.evil.example" as 127.0.0.1.
        guard !host.isEmpty, host.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else { return false }
        if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 {
            return isIPv6Loopback(String(host.dropFirst().dropLast()))
        }
        if host.contains(":") { return isIPv6Loopback(host) }
        if isLocalhostName(host) { return true }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return false }
        // s_addr is in network order: its first byte in memory is the first octet.
        return withUnsafeBytes(of: &address) { $0[0] } == 127
    }

    /// `localhost` or `label.….localhost`, letters, digits and hyphens, any case.
    static func isLocalhostName(_ host: String) -> Bool {
        let labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard labels.last == "localhost" else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isIPv6Loopback(_ text: String) -> Bool {
        var address = in6_addr()
        guard text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }), !text.contains("%"), inet_pton(AF_INET6, text, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
    }

    /// 1 to 5 ASCII digits, at most 65535.
    static func isPort(_ text: Substring) -> Bool {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return Int(text).map { $0 <= 65535 } ?? false
    }
}

/// Content-Type checks, by the media type's grammar (RFC 9110 §8.3.1), not by prefix.
enum MediaType {
    /// `application/json`, any case, with optional parameters (`; charset=utf-8`).
    static func isJSON(_ value: String?) -> Bool {
        guard let value, let parsed = parse(value) else { return false }
        return parsed.type == "application" && parsed.subtype == "json"
    }

    /// type "/" subtype *( OWS ";" OWS [ parameter ] ), lowercased type and subtype; nil when
    /// the value does not follow that grammar.
    static func parse(_ value: String) -> (type: String, subtype: String, parameters: [(String, String)])? {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        let essence = parts[0].trimmingCharacters(in: whitespace)
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, isToken(halves[0]), isToken(halves[1]) else { return nil }
        var parameters: [(String, String)] = []
        for raw in parts.dropFirst() {
            let parameter = raw.trimmingCharacters(in: whitespace)
            if parameter.isEmpty { continue }
            guard let equals = parameter.firstIndex(of: "=") else { return nil }
            let name = parameter[..<equals], rawValue = parameter[parameter.index(after: equals)...]
            guard isToken(name) else { return nil }
            if rawValue.hasPrefix("\"") {
                guard let quoted = quotedString(rawValue) else { return nil }
                parameters.append((name.lowercased(), quoted))
            } else {
                guard isToken(rawValue) else { return nil }
                parameters.append((name.lowercased(), String(rawValue)))
            }
        }
        return (halves[0].lowercased(), halves[1].lowercased(), parameters)
    }

    /// The content of a quoted-string (`"…"`, with `\\` escapes); nil when it is not one.
    static func quotedString(_ text: Substring) -> String? {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
        var out = "", escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped { out.append(character); escaped = false }
            else if character == "\\" { escaped = true }
            else if character == "\"" { return nil }
            else { out.append(character) }
        }
        return escaped ? nil : out
    }

    private static let whitespace = CharacterSet(charactersIn: " \t")

    /// RFC 9110 token: 1*tchar.
    static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
