import MCP
import Support
import LifecycleCore
import Agents
import Forge
import Replication

/// Product errors as MCP errors. The JSON-RPC code says the product's kind (so a client can
/// branch on it without reading words), and the message starts with the kind's name, as the
/// CLI's JSON `error.kind` does. Usage errors are the protocol's own `invalidParams`.
enum ToolError {
    /// One code per `PPDSError.Reason`, in the JSON-RPC range left to servers (-32000…-32099).
    static func code(_ reason: PPDSError.Reason) -> Int {
        switch reason {
        case .usage: -32602
        case .notFound: -32004
        case .conflict: -32009
        case .refused: -32010
        case .invalid: -32022
        case .io: -32030
        case .git: -32031
        case .failed: -32050
        }
    }

    static func mcp(_ error: any Error) -> MCPError {
        if let error = error as? MCPError { return error }
        let failure = PPDSError.from(error)
        if failure.reason == .usage { return .invalidParams("usage: " + failure.message) }
        return .serverError(code: code(failure.reason), message: failure.reason.rawValue + ": " + failure.message)
    }
}
