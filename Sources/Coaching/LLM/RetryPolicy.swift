/// When a failed attempt is tried again and after how long. Pure: randomness and time come in as
/// arguments, so every decision can be checked in a unit test.
///
/// - Retried: HTTP 408, 429 and 5xx, timeouts, and connections that could not be made or broke.
///   Other 4xx and other transport errors (bad TLS certificate, malformed URL…) are final.
/// - Backoff: exponential with full jitter — after attempt *n*, a uniform pause in
///   `0…min(maxBackoff, base × 2^(n-1))`.
/// - `Retry-After`: the pause is at least what the server asked for. A request to wait longer than
///   `maxRetryAfterMilliseconds` ends the call rather than retrying early.
/// - Budget: a retry whose pause would leave less than `minimumAttemptMilliseconds` of the call's
///   total budget is not made; the call fails with the last error instead of waiting for nothing.
public struct RetryPolicy: Sendable, Equatable {
    /// What went wrong with one attempt.
    public enum Failure: Sendable, Equatable {
        /// A response arrived with this non-2xx status.
        case status(Int)
        /// The connect or transfer timeout fired.
        case timeout
        /// The host could not be resolved or reached, or the connection broke before a full response.
        case connection
        /// Any other transport failure; retrying would not change it.
        case transport
    }

    public enum Decision: Sendable, Equatable {
        case retry(afterMilliseconds: Int)
        case giveUp
    }

    public var maxAttempts: Int
    public var baseBackoffMilliseconds: Int
    public var maxBackoffMilliseconds: Int
    public var maxRetryAfterMilliseconds: Int
    public var minimumAttemptMilliseconds: Int

    public init(
        maxAttempts: Int = 3,
        baseBackoffMilliseconds: Int = 250,
        maxBackoffMilliseconds: Int = 8_000,
        maxRetryAfterMilliseconds: Int = 30_000,
        minimumAttemptMilliseconds: Int = 100
    ) {
        self.maxAttempts = maxAttempts
        self.baseBackoffMilliseconds = baseBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.maxRetryAfterMilliseconds = maxRetryAfterMilliseconds
        self.minimumAttemptMilliseconds = minimumAttemptMilliseconds
    }

    public init(configuration: LLMClientConfiguration) {
        self.init(
            maxAttempts: configuration.maxAttempts,
            baseBackoffMilliseconds: configuration.baseBackoffMilliseconds,
            maxBackoffMilliseconds: configuration.maxBackoffMilliseconds,
            maxRetryAfterMilliseconds: configuration.maxRetryAfterMilliseconds
        )
    }

    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    public static func isRetryable(_ failure: Failure) -> Bool {
        switch failure {
        case .status(let status): return isRetryable(status: status)
        case .timeout, .connection: return true
        case .transport: return false
        }
    }

    /// The upper bound of the pause after attempt `attempt` (1-based): `min(maxBackoff, base × 2^(attempt-1))`.
    public func backoffCeiling(afterAttempt attempt: Int) -> Int {
        let base = max(0, baseBackoffMilliseconds)
        let cap = max(0, maxBackoffMilliseconds)
        let exponent = max(0, attempt - 1)
        guard base > 0 else { return 0 }
        // Past 2^62 the product overflows; by then the cap has long applied.
        guard exponent < 62, base <= cap >> exponent else { return cap }
        return min(cap, base << exponent)
    }

    /// Full jitter: `unitRandom` (in 0..<1, clamped) picks a point between 0 and the ceiling.
    public func backoff(afterAttempt attempt: Int, unitRandom: Double) -> Int {
        let ceiling = backoffCeiling(afterAttempt: attempt)
        let fraction = unitRandom.isFinite ? min(max(unitRandom, 0), 1) : 0
        return min(ceiling, Int((Double(ceiling) * fraction).rounded(.down)))
    }

    /// What to do after attempt `attempt` (1-based) failed with `failure`.
    /// - Parameters:
    ///   - retryAfterSeconds: the server's `Retry-After`, when it sent one.
    ///   - remainingMilliseconds: what is left of the call's total budget now.
    ///   - unitRandom: a uniform random number in 0..<1 for the jitter.
    public func decide(
        afterAttempt attempt: Int,
        failure: Failure,
        retryAfterSeconds: Int?,
        remainingMilliseconds: Int,
        unitRandom: Double
    ) -> Decision {
        guard attempt < maxAttempts, Self.isRetryable(failure) else { return .giveUp }
        var pause = backoff(afterAttempt: attempt, unitRandom: unitRandom)
        if let seconds = retryAfterSeconds, seconds > 0 {
            guard seconds <= maxRetryAfterMilliseconds / 1000 else { return .giveUp }
            let requested = seconds * 1000
            guard requested <= maxRetryAfterMilliseconds else { return .giveUp }
            pause = max(pause, requested)
        }
        guard remainingMilliseconds - pause >= max(1, minimumAttemptMilliseconds) else { return .giveUp }
        return .retry(afterMilliseconds: pause)
    }
}
