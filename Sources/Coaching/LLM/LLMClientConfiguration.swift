/// How `OpenAIClient` reaches the server and how patient it is. All durations are milliseconds.
public struct LLMClientConfiguration: Sendable, Equatable {
    /// Up to and including the API version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8089/v1`;
    /// requests go to `{baseURL}/chat/completions`.
    public var baseURL: String
    /// Sent as `Authorization: Bearer …`; when empty no Authorization header is sent.
    public var apiKey: String
    /// Per attempt, capped by what is left of the total budget.
    public var connectTimeoutMilliseconds: Int
    /// The budget of one call from `submit` to its completion, all attempts and pauses included.
    public var totalTimeoutMilliseconds: Int
    /// Attempts per call, the first one included.
    public var maxAttempts: Int
    public var baseBackoffMilliseconds: Int
    public var maxBackoffMilliseconds: Int
    /// The longest `Retry-After` the client is willing to wait; a longer one ends the call.
    public var maxRetryAfterMilliseconds: Int
    public var maxResponseBytes: Int
    /// Consecutive failed calls (timeouts, transport errors, 429, 5xx) that open the circuit.
    public var circuitFailureThreshold: Int
    /// How long the circuit stays open before one trial call is let through.
    public var circuitOpenMilliseconds: Int
    /// Transfers running at once; further calls wait in order, their time budget running.
    public var maxInFlight: Int
    /// Connections to one host (HTTP/1.1 needs one per running transfer; HTTP/2 multiplexes).
    public var maxHostConnections: Int

    public init(
        baseURL: String = "https://api.openai.com/v1",
        apiKey: String = "",
        connectTimeoutMilliseconds: Int = 2_000,
        totalTimeoutMilliseconds: Int = 15_000,
        maxAttempts: Int = 3,
        baseBackoffMilliseconds: Int = 250,
        maxBackoffMilliseconds: Int = 8_000,
        maxRetryAfterMilliseconds: Int = 30_000,
        maxResponseBytes: Int = 1 << 20,
        circuitFailureThreshold: Int = 5,
        circuitOpenMilliseconds: Int = 10_000,
        maxInFlight: Int = 512,
        maxHostConnections: Int = 256
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.maxAttempts = maxAttempts
        self.baseBackoffMilliseconds = baseBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.maxRetryAfterMilliseconds = maxRetryAfterMilliseconds
        self.maxResponseBytes = maxResponseBytes
        self.circuitFailureThreshold = circuitFailureThreshold
        self.circuitOpenMilliseconds = circuitOpenMilliseconds
        self.maxInFlight = maxInFlight
        self.maxHostConnections = maxHostConnections
    }

    /// `{baseURL}/chat/completions`, without doubling a trailing slash.
    public var chatCompletionsURL: String {
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/chat/completions"
    }

    /// Rejects values the client cannot work with; the message names the field, never the key.
    public func validate() throws(LLMClientSetupError) {
        let lowered = baseURL.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), baseURL.count > 8 else {
            throw LLMClientSetupError("baseURL must be an http:// or https:// URL")
        }
        guard !baseURL.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw LLMClientSetupError("baseURL must not contain spaces or control characters")
        }
        guard !apiKey.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw LLMClientSetupError("apiKey must not contain control characters")
        }
        let positive: [(String, Int)] = [
            ("connectTimeoutMilliseconds", connectTimeoutMilliseconds),
            ("totalTimeoutMilliseconds", totalTimeoutMilliseconds),
            ("maxAttempts", maxAttempts),
            ("maxResponseBytes", maxResponseBytes),
            ("circuitFailureThreshold", circuitFailureThreshold),
            ("maxInFlight", maxInFlight),
            ("maxHostConnections", maxHostConnections),
        ]
        for (name, value) in positive where value < 1 {
            throw LLMClientSetupError("\(name) must be at least 1")
        }
        let nonNegative: [(String, Int)] = [
            ("baseBackoffMilliseconds", baseBackoffMilliseconds),
            ("maxBackoffMilliseconds", maxBackoffMilliseconds),
            ("maxRetryAfterMilliseconds", maxRetryAfterMilliseconds),
            ("circuitOpenMilliseconds", circuitOpenMilliseconds),
        ]
        for (name, value) in nonNegative where value < 0 {
            throw LLMClientSetupError("\(name) must not be negative")
        }
    }
}

extension LLMClientConfiguration: CustomStringConvertible, CustomReflectable {
    /// Safe to log: the API key is never shown, only whether there is one.
    public var description: String {
        "LLMClientConfiguration(baseURL: \(baseURL), apiKey: \(apiKey.isEmpty ? "none" : "redacted"), "
            + "connectTimeoutMilliseconds: \(connectTimeoutMilliseconds), totalTimeoutMilliseconds: \(totalTimeoutMilliseconds), "
            + "maxAttempts: \(maxAttempts), maxInFlight: \(maxInFlight))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "baseURL": baseURL,
            "apiKey": apiKey.isEmpty ? "none" : "redacted",
            "connectTimeoutMilliseconds": connectTimeoutMilliseconds,
            "totalTimeoutMilliseconds": totalTimeoutMilliseconds,
            "maxAttempts": maxAttempts,
            "baseBackoffMilliseconds": baseBackoffMilliseconds,
            "maxBackoffMilliseconds": maxBackoffMilliseconds,
            "maxRetryAfterMilliseconds": maxRetryAfterMilliseconds,
            "maxResponseBytes": maxResponseBytes,
            "circuitFailureThreshold": circuitFailureThreshold,
            "circuitOpenMilliseconds": circuitOpenMilliseconds,
            "maxInFlight": maxInFlight,
            "maxHostConnections": maxHostConnections,
        ])
    }
}
