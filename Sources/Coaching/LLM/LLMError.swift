/// Why a chat completion produced no usable content. Every case is final: the client has already
/// retried whatever was worth retrying.
public enum LLMError: Error, Sendable, Equatable {
    /// The total time budget ran out (connect or transfer), after `attempts` attempts.
    case timeout(attempts: Int)
    /// The last attempt got this non-2xx status (4xx other than 408/429 are not retried).
    case http(status: Int, attempts: Int)
    /// The connection failed or broke (DNS, refused, reset, TLS...), with libcurl's description.
    case transport(String, attempts: Int)
    /// The circuit breaker is open: the call was not made.
    case circuitOpen
    /// A 2xx answer that is not a chat completion. Carries the usage when the server reported it,
    /// since those tokens are billed. Not retried.
    case invalidResponse(String, promptTokens: Int, completionTokens: Int)
    /// The response body exceeded `maxResponseBytes`; the transfer was aborted.
    case responseTooLarge
    /// The client was shut down before the call finished.
    case cancelled

    /// A short, fixed label for metrics (never the free text of a transport error).
    public var metricsKind: String {
        switch self {
        case .timeout: return "timeout"
        case .http(let status, _): return status == 429 ? "http_429" : status >= 500 ? "http_5xx" : "http_4xx"
        case .transport: return "transport"
        case .circuitOpen: return "circuit_open"
        case .invalidResponse: return "invalid_response"
        case .responseTooLarge: return "too_large"
        case .cancelled: return "cancelled"
        }
    }

    /// Whether this outcome says the service is unwell (it counts towards opening the circuit).
    var indicatesServiceFailure: Bool {
        switch self {
        case .timeout, .transport: return true
        case .http(let status, _): return status == 429 || (500...599).contains(status)
        case .circuitOpen, .invalidResponse, .responseTooLarge, .cancelled: return false
        }
    }
}

extension LLMError: CustomStringConvertible {
    /// A one-line account for logs and `last_error` columns; never includes credentials.
    public var description: String {
        switch self {
        case .timeout(let attempts): return "timeout after \(attempts) attempt(s)"
        case .http(let status, let attempts): return "HTTP \(status) after \(attempts) attempt(s)"
        case .transport(let message, let attempts): return "transport error after \(attempts) attempt(s): \(message)"
        case .circuitOpen: return "circuit open"
        case .invalidResponse(let reason, _, _): return "invalid response: \(reason)"
        case .responseTooLarge: return "response too large"
        case .cancelled: return "cancelled"
        }
    }
}
