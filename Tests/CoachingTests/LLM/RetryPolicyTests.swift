import XCTest
@testable import Coaching

final class RetryPolicyTests: XCTestCase {
    private let policy = RetryPolicy(
        maxAttempts: 3,
        baseBackoffMilliseconds: 250,
        maxBackoffMilliseconds: 8_000,
        maxRetryAfterMilliseconds: 30_000,
        minimumAttemptMilliseconds: 100
    )

    func testRetryableStatuses() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            XCTAssertTrue(RetryPolicy.isRetryable(status: status), "\(status)")
        }
        for status in [200, 301, 400, 401, 403, 404, 409, 413, 422, 600] {
            XCTAssertFalse(RetryPolicy.isRetryable(status: status), "\(status)")
        }
        XCTAssertTrue(RetryPolicy.isRetryable(.timeout))
        XCTAssertTrue(RetryPolicy.isRetryable(.connection))
        XCTAssertFalse(RetryPolicy.isRetryable(.transport))
    }

    func testBackoffCeilingDoublesUpToTheCap() {
        XCTAssertEqual((1...8).map { policy.backoffCeiling(afterAttempt: $0) }, [250, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000])
        XCTAssertEqual(policy.backoffCeiling(afterAttempt: 0), 250)
        XCTAssertEqual(policy.backoffCeiling(afterAttempt: 1_000), 8_000, "no overflow on huge attempt numbers")
        XCTAssertEqual(RetryPolicy(baseBackoffMilliseconds: 0).backoffCeiling(afterAttempt: 5), 0)
    }

    func testFullJitterSpansZeroToTheCeiling() {
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: 0), 0)
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: 0.5), 500)
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: 0.999_999), 999)
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: 7), 1_000, "clamped")
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: -1), 0, "clamped")
        XCTAssertEqual(policy.backoff(afterAttempt: 3, unitRandom: .nan), 0)
        for attempt in 1...10 {
            let ceiling = policy.backoffCeiling(afterAttempt: attempt)
            for _ in 0..<200 {
                let pause = policy.backoff(afterAttempt: attempt, unitRandom: Double.random(in: 0..<1))
                XCTAssertTrue((0...ceiling).contains(pause))
            }
        }
    }

    func testRetriesRetryableFailuresUntilTheLastAttempt() {
        for failure in [RetryPolicy.Failure.status(503), .status(429), .status(408), .timeout, .connection] {
            XCTAssertEqual(decide(attempt: 1, failure), .retry(afterMilliseconds: 125), "\(failure)")
            XCTAssertEqual(decide(attempt: 2, failure), .retry(afterMilliseconds: 250), "\(failure)")
            XCTAssertEqual(decide(attempt: 3, failure), .giveUp, "\(failure)")
        }
    }

    func testNeverRetriesFinalFailures() {
        for failure in [RetryPolicy.Failure.status(400), .status(401), .status(404), .status(422), .transport] {
            XCTAssertEqual(decide(attempt: 1, failure), .giveUp, "\(failure)")
        }
    }

    func testRetryAfterIsAFloorOnThePause() {
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: 2), .retry(afterMilliseconds: 2_000))
        // A backoff longer than Retry-After wins.
        let slow = RetryPolicy(maxAttempts: 5, baseBackoffMilliseconds: 4_000, maxBackoffMilliseconds: 8_000)
        XCTAssertEqual(
            slow.decide(afterAttempt: 2, failure: .status(503), retryAfterSeconds: 1, remainingMilliseconds: 60_000, unitRandom: 0.75),
            .retry(afterMilliseconds: 6_000)
        )
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: 0), .retry(afterMilliseconds: 125), "0 means none")
    }

    func testRetryAfterBeyondTheCapOrTheBudgetEndsTheCall() {
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: 31, remaining: 120_000), .giveUp)
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: 30, remaining: 120_000), .retry(afterMilliseconds: 30_000))
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: 10, remaining: 9_000), .giveUp)
        XCTAssertEqual(decide(attempt: 1, .status(429), retryAfter: Int.max, remaining: 9_000), .giveUp)
    }

    func testGivesUpWhenThePauseWouldExhaustTheBudget() {
        XCTAssertEqual(decide(attempt: 1, .timeout, remaining: 0), .giveUp)
        XCTAssertEqual(decide(attempt: 1, .status(500), remaining: 200), .giveUp, "125 ms pause leaves 75 ms < 100 ms minimum")
        XCTAssertEqual(decide(attempt: 1, .status(500), remaining: 225), .retry(afterMilliseconds: 125))
    }

    func testTakesItsLimitsFromTheClientConfiguration() {
        let configuration = LLMClientConfiguration(maxAttempts: 5, baseBackoffMilliseconds: 10, maxBackoffMilliseconds: 40, maxRetryAfterMilliseconds: 5_000)
        let policy = RetryPolicy(configuration: configuration)
        XCTAssertEqual(policy.maxAttempts, 5)
        XCTAssertEqual((1...4).map { policy.backoffCeiling(afterAttempt: $0) }, [10, 20, 40, 40])
        XCTAssertEqual(policy.maxRetryAfterMilliseconds, 5_000)
    }

    private func decide(
        attempt: Int,
        _ failure: RetryPolicy.Failure,
        retryAfter: Int? = nil,
        remaining: Int = 15_000
    ) -> RetryPolicy.Decision {
        policy.decide(afterAttempt: attempt, failure: failure, retryAfterSeconds: retryAfter, remainingMilliseconds: remaining, unitRandom: 0.5)
    }
}
