/// Why a text got no embedding. `kind` is the short word metrics, logs and the queue row record
/// (never the text, never the key).
public enum EmbeddingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case notConfigured
    case timeout
    /// Could not connect, or the connection broke.
    case connection(String)
    /// A non-2xx answer.
    case http(status: Int)
    /// A 2xx answer that is not an embeddings list for every input.
    case invalidResponse(String)

    public var kind: String {
        switch self {
        case .notConfigured: return "not_configured"
        case .timeout: return "timeout"
        case .connection: return "connection"
        case .http(let status): return status >= 500 ? "http_5xx" : "http_\(status)"
        case .invalidResponse: return "invalid_response"
        }
    }

    public var description: String {
        switch self {
        case .notConfigured: return "embeddings are not configured"
        case .timeout: return "embeddings request timed out"
        case .connection(let detail): return "embeddings server unreachable: \(detail)"
        case .http(let status): return "embeddings server answered HTTP \(status)"
        case .invalidResponse(let detail): return "embeddings response invalid: \(detail)"
        }
    }
}
