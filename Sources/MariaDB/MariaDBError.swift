/// Failures of the database layer. `connectionLost` is separated because callers answer it with
/// "try again later" (HTTP 503) while every other error is a bug or a constraint violation.
public enum MariaDBError: Error, CustomStringConvertible, Sendable {
    case connectionFailed(code: UInt32, message: String)
    case connectionLost(code: UInt32, message: String)
    case statement(code: UInt32, sqlState: String, message: String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .connectionFailed(let code, let message): return "connection failed (\(code)): \(message)"
        case .connectionLost(let code, let message): return "connection lost (\(code)): \(message)"
        case .statement(let code, let state, let message): return "statement error \(code) [\(state)]: \(message)"
        case .invalidConfiguration(let message): return "invalid configuration: \(message)"
        }
    }

    /// Server error codes after which the connection cannot be trusted and a fresh one is needed.
    static func isConnectionLoss(_ code: UInt32) -> Bool {
        switch code {
        case 2002, 2003, 2006, 2013, 2055, 1927, 1053, 1243, 4031: return true
        default: return false
        }
    }

    public var isConnectionProblem: Bool {
        switch self {
        case .connectionFailed, .connectionLost: return true
        default: return false
        }
    }

    /// Duplicate key (1062): callers use it for "already exists" decisions.
    public var isDuplicateKey: Bool {
        if case .statement(let code, _, _) = self { return code == 1062 }
        return false
    }

    /// Deadlock (1213) or lock wait timeout (1205): the transaction may simply be retried.
    public var isRetryableConflict: Bool {
        if case .statement(let code, _, _) = self { return code == 1213 || code == 1205 }
        return false
    }
}
