import Logging

/// What every call of one client shares. Immutable.
struct LLMCallEnvironment: Sendable {
    let endpoint: CurlEndpoint
    let policy: RetryPolicy
    let breaker: CircuitBreaker
    let connectTimeoutMilliseconds: Int
    let maxResponseBytes: Int
    let logger: Logger
}

/// One submitted chat completion, from `submit` to its single completion: circuit admission, the
/// attempts, the pauses between them, and the breaker's bookkeeping. Created on the caller's thread,
/// then touched only on the multi thread (through `CurlMultiLoop.post`).
final class LLMCall: @unchecked Sendable {
    private let environment: LLMCallEnvironment
    private let body: CurlPostBody
    private let requestedModel: String
    private let submittedAt: Int
    private let deadline: Int
    private let completion: @Sendable (Result<ChatCompletionResponse, LLMError>) -> Void

    private var attempts = 0
    private var permit: CircuitBreaker.Permit?
    private var finished = false

    init(
        environment: LLMCallEnvironment,
        body: CurlPostBody,
        requestedModel: String,
        submittedAt: Int,
        totalTimeoutMilliseconds: Int,
        completion: @escaping @Sendable (Result<ChatCompletionResponse, LLMError>) -> Void
    ) {
        self.environment = environment
        self.body = body
        self.requestedModel = requestedModel
        self.submittedAt = submittedAt
        self.deadline = submittedAt + totalTimeoutMilliseconds
        self.completion = completion
    }

    func begin(on loop: CurlMultiLoop) {
        if loop.isStopping {
            finish(.failure(.cancelled))
            return
        }
        guard let permit = environment.breaker.acquire() else {
            finish(.failure(.circuitOpen))
            return
        }
        self.permit = permit
        startAttempt(on: loop)
    }

    private func startAttempt(on loop: CurlMultiLoop) {
        attempts += 1
        let transfer = CurlTransfer(
            endpoint: environment.endpoint,
            body: body,
            deadline: deadline,
            connectTimeoutMilliseconds: environment.connectTimeoutMilliseconds,
            maxResponseBytes: environment.maxResponseBytes,
            onFinish: { [self] outcome in attemptEnded(outcome, on: loop) }
        )
        loop.add(transfer)
    }

    private func attemptEnded(_ outcome: CurlTransfer.Outcome, on loop: CurlMultiLoop) {
        switch outcome {
        case .cancelled:
            finish(.failure(.cancelled))
        case .tooLarge:
            finish(.failure(.responseTooLarge))
        case .expired:
            finish(.failure(.timeout(attempts: attempts)))
        case .failed(let kind, let message):
            let error: LLMError = kind == .timeout ? .timeout(attempts: attempts) : .transport(message, attempts: attempts)
            retryOrFail(kind, error: error, retryAfterSeconds: nil, on: loop)
        case .response(let status, let responseBody, let retryAfterSeconds):
            guard (200...299).contains(status) else {
                retryOrFail(.status(status), error: .http(status: status, attempts: attempts), retryAfterSeconds: retryAfterSeconds, on: loop)
                return
            }
            switch ChatCompletionResponse.decode(responseBody, requestedModel: requestedModel) {
            case .success(var response):
                response.attempts = attempts
                response.latencyMilliseconds = max(0, MonotonicTime.milliseconds() - submittedAt)
                finish(.success(response))
            case .failure(let error):
                finish(.failure(error))
            }
        }
    }

    private func retryOrFail(_ failure: RetryPolicy.Failure, error: LLMError, retryAfterSeconds: Int?, on loop: CurlMultiLoop) {
        let now = MonotonicTime.milliseconds()
        let decision = environment.policy.decide(
            afterAttempt: attempts,
            failure: failure,
            retryAfterSeconds: retryAfterSeconds,
            remainingMilliseconds: deadline - now,
            unitRandom: Double.random(in: 0..<1)
        )
        switch decision {
        case .giveUp:
            finish(.failure(error))
        case .retry(let pause):
            environment.logger.debug("LLM attempt failed; retrying", metadata: [
                "error": "\(error)", "attempt": "\(attempts)", "pause_ms": "\(pause)",
            ])
            loop.schedule(
                at: now + pause,
                fire: { [self] in
                    if loop.isStopping { finish(.failure(.cancelled)) } else { startAttempt(on: loop) }
                },
                cancel: { [self] in finish(.failure(.cancelled)) }
            )
        }
    }

    private func finish(_ result: Result<ChatCompletionResponse, LLMError>) {
        guard !finished else { return }
        finished = true
        if let permit {
            let outcome: CircuitBreaker.Outcome
            switch result {
            case .success: outcome = .success
            case .failure(.cancelled): outcome = .inconclusive
            case .failure(let error): outcome = error.indicatesServiceFailure ? .failure : .success
            }
            if let changed = environment.breaker.record(outcome, for: permit) {
                switch changed {
                case .open:
                    let reason: String
                    if case .failure(let error) = result { reason = error.description } else { reason = "" }
                    environment.logger.warning("LLM circuit opened", metadata: ["last_error": "\(reason)"])
                case .closed: environment.logger.info("LLM circuit closed")
                case .halfOpen: break
                }
            }
            self.permit = nil
        }
        completion(result)
    }
}
