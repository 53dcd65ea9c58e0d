import Foundation
import Hummingbird
import Config
import Lifecycle
import SessionKit
import Support
import View

/// Who may talk to the server. Loopback by default; any other bind needs the bearer token
/// kept in `$PPDS_HOME/serve-token` (mode 0600). Writes need JSON and no foreign Origin.
public struct Security: Sendable {
    let token: String?
    let loopback: Bool

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
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
            FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        } catch {
            throw PPDSError.failed("\(file): cannot write the token: \(error.localizedDescription)")
        }
        return token
    }

    /// nil when the request may go on; otherwise the refusal.
    func check(_ request: Request, write: Bool) -> APIError? {
        let authority = request.head.authority ?? ""
        if loopback {
            // A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) sends
            // its own name as Host.
            let host = Self.hostPart(authority)
            guard Self.isLoopback(host) else {
                return APIError(status: .forbidden, kind: "forbidden", message: "Host '\(authority)' is not a loopback name")
            }
        }
        if let token {
            let header = request.headers[.authorization] ?? ""
            let given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : request.uri.queryParameters.get("token") ?? ""
            guard Self.constantTimeEqual(given, token) else {
                return APIError(status: .unauthorized, kind: "unauthorized", message: "a bearer token is required (see $PPDS_HOME/serve-token)")
            }
        }
        guard write else { return nil }
        let type = request.headers[.contentType] ?? ""
        guard type.lowercased().hasPrefix("application/json") else {
            return APIError(status: .unsupportedMediaType, kind: "unsupportedMediaType", message: "write requests need Content-Type: application/json")
        }
        if let origin = request.headers[.origin], origin != "http://" + authority {
            return APIError(status: .forbidden, kind: "forbidden", message: "Origin '\(origin)' is not this server")
        }
        return nil
    }

    static func hostPart(_ authority: String) -> String {
        if authority.hasPrefix("[") { return String(authority.prefix { $0 != "]" }) + "]" }
        return String(authority.split(separator: ":").first ?? "")
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A refusal as an HTTP status and a JSON body.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    let kind: String
    let message: String

    var response: Response {
        let body = "{\"version\":1,\"error\":{\"status\":\(status.code),\"kind\":\"\(kind)\",\"message\":\(JSONWriter.write(.string(message), pretty: false))}}\n"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Every error reason as an HTTP status: the one place they are mapped.
    static func from(_ error: PPDSError) -> APIError {
        let status: HTTPResponse.Status = switch error.reason {
        case .usage: .badRequest
        case .notFound: .notFound
        case .conflict, .refused: .conflict
        case .invalid: .unprocessableContent
        case .io, .git, .failed: .internalServerError
        }
        return APIError(status: status, kind: error.reason.rawValue, message: error.message)
    }
}

