/// How a job whose attempt failed is retried: one rule for every failure (an error in the pipeline,
/// an LLM error, an answer that does not validate), bounded by the `max_attempts` setting, so an
/// operator reads one number to know how often a message can cost a call.
public struct JobRetryPolicy: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case retry(afterSeconds: Double)
        case giveUp
    }

    public let maxAttempts: Int

    public init(maxAttempts: Int) {
        self.maxAttempts = max(maxAttempts, 1)
    }

    public init(service: ServiceSettings) {
        self.init(maxAttempts: service.maxAttempts)
    }

    /// After the `attempts`-th attempt failed: wait a second per attempt made, or give up.
    public func next(afterAttempt attempts: Int) -> Step {
        attempts >= maxAttempts ? .giveUp : .retry(afterSeconds: Double(max(attempts, 1)))
    }
}
