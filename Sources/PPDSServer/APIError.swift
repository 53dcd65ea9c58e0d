import Hummingbird
import Config
import Lifecycle
import Support
import View
import SessionKit
import LifecycleCore

/// Every refusal and failure of the API, as one JSON shape:
/// `{"version":1,"error":{"status":404,"kind":"notFound","message":"…"}}`.
///
/// Hummingbird turns a thrown `HTTPResponseError` into its response; `ErrorMiddleware` turns
/// every other error (the core's `PPDSError`, Hummingbird's own `HTTPError` for an unmatched
/// route or an oversized body, a body that could not be read) into an `APIError` first.
public struct APIError: HTTPResponseError, Equatable, Sendable {
    /// What went wrong. `status` is the one place where a kind becomes an HTTP status.
    public enum Kind: String, CaseIterable, Sendable {
        /// A bad request: an argument, a field or a body that is not valid.
        case usage
        /// A request the HTTP layer could not read (broken chunked framing, a truncated body).
        case malformed
        case unauthorized
        case forbidden
        case notFound
        /// The session's state forbids it: an invalid transition, a paused or terminal session.
        case conflict
        /// ppds will not (a safety guard, not a git repository).
        case refused
        /// A file the request needs is malformed (a corrupt session file).
        case invalid
        case tooLarge
        case unsupportedMediaType
        /// A request body that did not arrive in time.
        case timeout
        /// The server holds as many connections as it serves; try again shortly.
        case unavailable
        /// The file system or libgit2 failed.
        case io, git
        /// Anything else; the server's fault.
        case failed

        public var status: HTTPResponse.Status {
            switch self {
            case .usage, .malformed: .badRequest
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict, .refused: .conflict
            case .invalid: .unprocessableContent
            case .tooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .unavailable: .serviceUnavailable
            case .timeout: .requestTimeout
            case .io, .git, .failed: .internalServerError
            }
        }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var status: HTTPResponse.Status { kind.status }

    /// The error as the API's JSON body (keys in this order: status, kind, message).
    public var body: String {
        "{\"version\":1,\"error\":{\"status\":\(status.code),\"kind\":\"\(kind.rawValue)\",\"message\":"
            + JSONWriter.write(.string(message), pretty: false) + "}}\n"
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    var response: Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Any error as the API's error. Errors that already carry an HTTP status keep it.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any HTTPResponseError:
            // Hummingbird's own: the router's 404, the 413 of a body over the limit, a 400
            // from a parameter or a decoder.
            let kind = Kind.allCases.first { $0.status == error.status && $0 != .malformed }
                ?? (error.status.kind == .clientError ? .usage : .failed)
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase.lowercased()
            return APIError(kind, message)
        default:
            // The core's reasons keep their names: notFound 404, conflict and refused 409,
            // invalid 422, usage 400, io, git and failed 500.
            let failure = PPDSError.from(error)
            let kind: Kind = switch failure.reason {
            case .usage: .usage
            case .notFound: .notFound
            case .conflict: .conflict
            case .refused: .refused
            case .invalid: .invalid
            case .io: .io
            case .git: .git
            case .failed: .failed
            }
            return APIError(kind, failure.message)
        }
    }
}

/// Turns whatever a route or the router throws into an `APIError`, so every error response has
/// the API's JSON shape. It is the outermost middleware, so it also sees the router's 404.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if error is HTTPError, apiError.kind == .notFound {
                throw APIError(.notFound, "no route for \(request.method) \(request.uri.path)")
            }
            if apiError.kind == .failed {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(apiError.message)"])
            }
            throw apiError
        }
    }
}
