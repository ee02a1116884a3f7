import Logging
import JSON

/// A client for any OpenAI-compatible `POST /chat/completions`, built on libcurl's multi interface:
/// one thread drives every transfer, so hundreds of calls can be in flight without a thread each.
///
/// Each call gets `totalTimeoutMilliseconds` from `submit` to its completion, shared by its attempts
/// (each attempt also has the connect timeout). Failed attempts are retried per `RetryPolicy`
/// (429/5xx/408, timeouts, broken connections; backoff with full jitter; `Retry-After` honoured),
/// scheduled on the client's thread rather than by sleeping. A `CircuitBreaker` fails calls fast
/// while the service keeps failing.
///
/// Thread-safe: `submit` may be called from any thread.
public final class OpenAIClient: Sendable {
    public let configuration: LLMClientConfiguration
    private let loop: CurlMultiLoop
    private let environment: LLMCallEnvironment

    /// Validates the configuration and starts the client's thread.
    public init(configuration: LLMClientConfiguration, logger: Logger = Logger(label: "coaching.llm")) throws {
        try configuration.validate()
        self.configuration = configuration
        let loop = try CurlMultiLoop(maxInFlight: configuration.maxInFlight, maxHostConnections: configuration.maxHostConnections)
        environment = LLMCallEnvironment(
            endpoint: try CurlEndpoint(url: configuration.chatCompletionsURL, apiKey: configuration.apiKey),
            policy: RetryPolicy(configuration: configuration),
            breaker: CircuitBreaker(
                failureThreshold: configuration.circuitFailureThreshold,
                openMilliseconds: configuration.circuitOpenMilliseconds
            ),
            connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
            maxResponseBytes: configuration.maxResponseBytes,
            logger: logger
        )
        self.loop = loop
        loop.start(name: "llm-curl")
    }

    deinit {
        loop.stop()
    }

    /// Starts one chat completion.
    ///
    /// `completion` is called exactly once: with the response, or with the final `LLMError` after
    /// any retries. It runs on the client's own thread, which drives every other transfer too, so it
    /// must be cheap and must not block — hand the result to your own queue and return. (Only when
    /// the client has already been shut down is it called at once, on the caller's thread, with
    /// `.cancelled`.)
    public func submit(
        _ request: ChatCompletionRequest,
        completion: @escaping @Sendable (Result<ChatCompletionResponse, LLMError>) -> Void
    ) {
        let call = LLMCall(
            environment: environment,
            body: CurlPostBody(JSONWriter.bytes(request.jsonBody)),
            requestedModel: request.model,
            submittedAt: MonotonicTime.milliseconds(),
            totalTimeoutMilliseconds: configuration.totalTimeoutMilliseconds,
            completion: completion
        )
        let loop = self.loop
        if !loop.post({ call.begin(on: loop) }) {
            completion(.failure(.cancelled))
        }
    }

    /// For health output (`circuitState.rawValue`: `closed`, `open`, `half_open`).
    public var circuitState: CircuitBreaker.State {
        environment.breaker.state
    }

    /// Cancels every call in flight or waiting to retry (each completion gets `.cancelled`) and
    /// stops the client's thread, waiting for it unless called from a completion. Later submits
    /// complete with `.cancelled`. Idempotent.
    public func shutdown() {
        loop.stop()
    }
}
