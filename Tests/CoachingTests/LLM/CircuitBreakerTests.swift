import Foundation
import XCTest
@testable import Coaching

final class CircuitBreakerTests: XCTestCase {
    /// A clock the test moves by hand.
    private final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 1_000
        var now: Int { lock.lock(); defer { lock.unlock() }; return value }
        func advance(_ milliseconds: Int) { lock.lock(); value += milliseconds; lock.unlock() }
    }

    private let clock = ManualClock()

    private func makeBreaker(threshold: Int = 3, openMilliseconds: Int = 10_000) -> CircuitBreaker {
        let clock = self.clock
        return CircuitBreaker(failureThreshold: threshold, openMilliseconds: openMilliseconds, now: { clock.now })
    }

    private func fail(_ breaker: CircuitBreaker, times: Int) {
        for _ in 0..<times {
            guard let permit = breaker.acquire() else { return XCTFail("refused while closed") }
            breaker.record(.failure, for: permit)
        }
    }

    func testOpensAfterConsecutiveFailuresAndFailsFast() {
        let breaker = makeBreaker()
        fail(breaker, times: 2)
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertEqual(breaker.failureCount, 2)
        let permit = breaker.acquire()!
        XCTAssertEqual(breaker.record(.failure, for: permit), .open)
        XCTAssertEqual(breaker.state, .open)
        XCTAssertNil(breaker.acquire())
        clock.advance(9_999)
        XCTAssertNil(breaker.acquire())
    }

    func testASuccessResetsTheCount() {
        let breaker = makeBreaker()
        fail(breaker, times: 2)
        breaker.record(.success, for: breaker.acquire()!)
        XCTAssertEqual(breaker.failureCount, 0)
        fail(breaker, times: 2)
        XCTAssertEqual(breaker.state, .closed)
    }

    func testInconclusiveResultsDoNotCount() {
        let breaker = makeBreaker()
        fail(breaker, times: 2)
        breaker.record(.inconclusive, for: breaker.acquire()!)
        XCTAssertEqual(breaker.failureCount, 2)
        XCTAssertEqual(breaker.state, .closed)
    }

    func testLetsOneTrialThroughAfterThePauseAndClosesOnSuccess() {
        let breaker = makeBreaker()
        fail(breaker, times: 3)
        clock.advance(10_000)
        XCTAssertEqual(breaker.state, .halfOpen)
        let trial = breaker.acquire()
        XCTAssertEqual(trial?.isTrial, true)
        XCTAssertNil(breaker.acquire(), "only one trial at a time")
        XCTAssertEqual(breaker.state, .halfOpen)
        XCTAssertEqual(breaker.record(.success, for: trial!), .closed)
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertEqual(breaker.acquire()?.isTrial, false)
    }

    func testAFailedTrialReopensForAnotherPause() {
        let breaker = makeBreaker()
        fail(breaker, times: 3)
        clock.advance(10_000)
        let trial = breaker.acquire()!
        clock.advance(500)
        XCTAssertEqual(breaker.record(.failure, for: trial), .open)
        XCTAssertNil(breaker.acquire())
        clock.advance(9_999)
        XCTAssertEqual(breaker.state, .open)
        clock.advance(1)
        XCTAssertEqual(breaker.state, .halfOpen)
        XCTAssertNotNil(breaker.acquire())
    }

    func testACancelledTrialFreesTheSlot() {
        let breaker = makeBreaker()
        fail(breaker, times: 3)
        clock.advance(10_000)
        let trial = breaker.acquire()!
        breaker.record(.inconclusive, for: trial)
        XCTAssertEqual(breaker.state, .halfOpen)
        XCTAssertEqual(breaker.acquire()?.isTrial, true)
    }

    func testLateResultsOfCallsAdmittedBeforeOpeningAreIgnored() {
        let breaker = makeBreaker()
        let early = breaker.acquire()!
        fail(breaker, times: 3)
        XCTAssertNil(breaker.record(.success, for: early), "a slow success must not close an open circuit")
        XCTAssertEqual(breaker.state, .open)
        clock.advance(10_000)
        let trial = breaker.acquire()!
        breaker.record(.success, for: trial)
        // Now closed; a stale failure from before must not count either.
        breaker.record(.failure, for: early)
        XCTAssertEqual(breaker.failureCount, 0)
    }

    func testStateRawValuesForHealthOutput() {
        XCTAssertEqual(CircuitBreaker.State.closed.rawValue, "closed")
        XCTAssertEqual(CircuitBreaker.State.open.rawValue, "open")
        XCTAssertEqual(CircuitBreaker.State.halfOpen.rawValue, "half_open")
    }

    func testIsSafeUnderConcurrentUse() {
        let breaker = makeBreaker(threshold: 1_000_000)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for index in 0..<10_000 {
                if let permit = breaker.acquire() {
                    breaker.record(index % 2 == 0 ? .failure : .success, for: permit)
                }
            }
        }
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertLessThan(breaker.failureCount, 1_000_000)
    }
}
