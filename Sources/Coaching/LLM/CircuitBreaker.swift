import Foundation

/// Stops calling a service that keeps failing, and probes it again later.
///
/// - **closed**: calls go through. `failureThreshold` consecutive failed calls open the circuit.
/// - **open**: calls are refused (the client answers `.circuitOpen` at once) for `openMilliseconds`.
/// - **halfOpen**: one trial call is let through; its success closes the circuit, its failure opens
///   it again for another `openMilliseconds`. Other calls are refused meanwhile.
///
/// A *call* is everything the client does for one request, retries included. Only results that say
/// the service is unwell count as failures (timeouts, transport errors, 429, 5xx); any other answer
/// (2xx, other 4xx, an unusable body) shows the service is reachable and counts as a success.
/// Results of calls admitted before the circuit last opened are ignored.
///
/// Thread-safe; the clock is injectable for tests.
public final class CircuitBreaker: @unchecked Sendable {
    public enum State: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    /// Admission to make one call; hand it back through `record` when the call ends.
    public struct Permit: Sendable, Equatable {
        fileprivate let generation: Int
        public let isTrial: Bool
    }

    public enum Outcome: Sendable, Equatable {
        case success
        case failure
        /// The call ended without telling anything about the service (e.g. it was cancelled).
        case inconclusive
    }

    public let failureThreshold: Int
    public let openMilliseconds: Int

    private let now: @Sendable () -> Int
    private let lock = NSLock()
    private var stored: State = .closed
    private var consecutiveFailures = 0
    private var openedAt = 0
    private var trialInFlight = false
    /// Bumped each time the circuit opens, so late results of older calls can be told apart.
    private var generation = 0

    /// - Parameter now: milliseconds on a monotonic clock (default: the system's).
    public init(failureThreshold: Int, openMilliseconds: Int, now: (@Sendable () -> Int)? = nil) {
        self.failureThreshold = max(1, failureThreshold)
        self.openMilliseconds = max(0, openMilliseconds)
        self.now = now ?? { MonotonicTime.milliseconds() }
    }

    /// The state as a caller would see it now: an open circuit whose pause is over reads `halfOpen`.
    public var state: State {
        lock.lock()
        defer { lock.unlock() }
        return currentState()
    }

    /// Consecutive failures counted while closed.
    public var failureCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return consecutiveFailures
    }

    /// A permit when the call may proceed, nil when it must fail fast.
    public func acquire() -> Permit? {
        lock.lock()
        defer { lock.unlock() }
        switch currentState() {
        case .closed:
            return Permit(generation: generation, isTrial: false)
        case .open:
            return nil
        case .halfOpen:
            guard !trialInFlight else { return nil }
            stored = .halfOpen
            trialInFlight = true
            return Permit(generation: generation, isTrial: true)
        }
    }

    /// Records how a call ended. Returns the new state when this result changed it (for logging).
    @discardableResult
    public func record(_ outcome: Outcome, for permit: Permit) -> State? {
        lock.lock()
        defer { lock.unlock() }
        let before = currentState()
        if permit.isTrial {
            guard permit.generation == generation, trialInFlight else { return nil }
            trialInFlight = false
            switch outcome {
            case .success:
                stored = .closed
                consecutiveFailures = 0
            case .failure:
                open()
            case .inconclusive:
                break
            }
        } else {
            guard permit.generation == generation, stored == .closed else { return nil }
            switch outcome {
            case .success:
                consecutiveFailures = 0
            case .failure:
                consecutiveFailures += 1
                if consecutiveFailures >= failureThreshold { open() }
            case .inconclusive:
                break
            }
        }
        let after = currentState()
        return after == before ? nil : after
    }

    private func open() {
        stored = .open
        openedAt = now()
        generation += 1
        consecutiveFailures = 0
        trialInFlight = false
    }

    private func currentState() -> State {
        if stored == .open, now() - openedAt >= openMilliseconds { return .halfOpen }
        return stored
    }
}
