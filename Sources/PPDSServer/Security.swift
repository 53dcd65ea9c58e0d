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

/// Who may talk to the server. Every request needs the token of `$PPDS_HOME/serve-token`
/// (a new one per start, mode 0600), loopback or not: loopback is no boundary between the
/// users of one machine. Scripts send it as `Authorization: Bearer …`; a browser opens the URL
/// `serve` prints (`/?token=…`) once, which answers with an HttpOnly, SameSite=Strict cookie
/// and a redirect to `/`, so the token leaves the address bar. A loopback bind also needs a
/// loopback Host (DNS rebinding). Writes need JSON and no foreign Origin.
public struct Security: Sendable {
    /// The token this server made when it started.
    let token: String
    /// Whether the server is bound to loopback; its requests must then name a loopback host.
    let loopback: Bool
    /// Where the token file is; a token given that is not ours is checked against the file's
    /// (a later `serve` under the same home rotated it). Nil: only `token`.
    let home: String?

    init(token: String, loopback: Bool, home: String? = nil) {
        self.token = token
        self.loopback = loopback
        self.home = home
    }

    /// The policy for a bind address, with a new token written to `$PPDS_HOME/serve-token`.
    static func forBind(host: String, home: String) throws(PPDSError) -> Security {
        Security(token: try ServeToken.rotate(home: home), loopback: isLoopback(host), home: home)
    }

    /// Whether a bind address (no port) is a loopback one.
    public static func isLoopback(_ host: String) -> Bool {
        LoopbackHost.isLoopbackName(host)
    }

    /// Whether `given` is a token this server takes: its own, or the one now in the file.
    func accepts(_ given: String) -> Bool {
        guard given.utf8.count >= 32 else { return false }
        if Self.constantTimeEqual(given, token) { return true }
        guard let home, let current = try? ServeToken.read(home: home) else { return false }
        return Self.constantTimeEqual(given, current)
    }

    /// The cookie that carries the token for one server: named by its port, since a browser
    /// sends a host's cookies to all of its ports.
    static func cookieName(authority: String) -> String {
        "ppds_token_" + (LoopbackHost.port(of: authority) ?? "80")
    }

    /// The token of the request's cookie for this server, if any.
    static func cookieToken(_ request: Request, name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let pair = pair.trimmingCharacters(in: .whitespaces)
                guard let equals = pair.firstIndex(of: "="), pair[..<equals] == name else { continue }
                return String(pair[pair.index(after: equals)...])
            }
        }
        return nil
    }

    /// How a request proved it may come in.
    enum Credential { case bearer, cookie }

    /// Nil when the request may go on; a response (the dashboard's token exchange) that
    /// answers it instead; throws the refusal when it may not go on.
    func check(_ request: Request) throws(APIError) -> Response? {
        let authority = request.head.authority ?? ""
        if loopback {
            // A page on another site whose name resolves to 127.0.0.1 (DNS rebinding) sends
            // its own name as Host.
            guard LoopbackHost.isLoopback(authority: authority) else {
                throw APIError(.forbidden, "Host '\(authority)' is not a loopback name")
            }
        }
        let cookie = Self.cookieName(authority: authority)
        // The one-time exchange: the URL `serve` printed becomes a cookie, and the token leaves
        // the address bar (and the history) at once.
        if request.uri.path == "/", request.method == .get || request.method == .head,
           let given = request.uri.queryParameters.get("token") {
            guard accepts(given) else { throw APIError(.unauthorized, "this token is not the server's; open the URL 'ppds serve' printed last") }
            return Response(status: .seeOther, headers: [
                .location: "/", .cacheControl: "no-store",
                .setCookie: "\(cookie)=\(given); Path=/; HttpOnly; SameSite=Strict",
            ])
        }
        let credential: Credential
        let header = request.headers[.authorization] ?? ""
        if header.hasPrefix("Bearer "), accepts(String(header.dropFirst(7))) {
            credential = .bearer
        } else if let given = Self.cookieToken(request, name: cookie), accepts(given) {
            credential = .cookie
        } else {
            throw APIError(.unauthorized, "a token is required: open the dashboard through the URL 'ppds serve' printed, or send 'Authorization: Bearer' with the token in $PPDS_HOME/serve-token")
        }
        if credential == .cookie, let site = request.headers[FieldName("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            // A browser says where the request comes from: a page of another origin (another
            // port of this host is the same site, so SameSite lets the cookie through).
            throw APIError(.forbidden, "a request from another origin (Sec-Fetch-Site: \(site)) is refused")
        }
        guard Self.isWrite(request.method) else { return nil }
        guard MediaType.isJSON(request.headers[.contentType]) else {
            throw APIError(.unsupportedMediaType, "write requests need Content-Type: application/json")
        }
        if let origin = request.headers[.origin], origin != "http://" + authority {
            throw APIError(.forbidden, "Origin '\(origin)' is not this server")
        }
        if credential == .cookie, request.headers[.origin] == nil {
            // Browsers send Origin with every POST; a cookie write without one is not the dashboard's.
            throw APIError(.forbidden, "a write with the dashboard's cookie needs an Origin")
        }
        return nil
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

    /// Headers on every response: no page may frame this one (clickjacking), nothing is
    /// sniffed into another type, no referrer leaves, and no other origin may embed a reply.
    /// The dashboard's page sets its own, stricter Content-Security-Policy.
    static func harden(_ headers: inout HTTPFields) {
        headers[FieldName("X-Frame-Options")!] = "DENY"
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        }
        headers[.xContentTypeOptions] = "nosniff"
        headers[FieldName("Referrer-Policy")!] = "no-referrer"
        headers[.crossOriginResourcePolicy] = "same-origin"
    }
}

/// The security check on every request, matched or not: `Security.check` as a middleware.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let security: Security

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let answer = try security.check(request) { return answer }
        return try await next(request, context)
    }
}

/// The outermost middleware: `Security.harden`'s headers on every response the router makes,
/// refusals included.
struct HardeningMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        Security.harden(&response.headers)
        return response
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

    /// The port of a Host value, when it names one.
    public static func port(of authority: String) -> String? {
        let rest: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            rest = authority[authority.index(after: close)...]
        } else {
            guard authority.filter({ $0 == ":" }).count == 1, let colon = authority.firstIndex(of: ":") else { return nil }
            rest = authority[colon...]
        }
        guard rest.hasPrefix(":"), isPort(rest.dropFirst()) else { return nil }
        return String(rest.dropFirst())
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

/// A header name (`HTTPField.Name`, reached through `HTTPFields`, which Hummingbird exports).
typealias FieldName = HTTPFields.Element.Name
