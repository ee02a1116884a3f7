import XCTest
@testable import Experiments

/// Reference bounds computed with statsmodels 0.15.0:
/// `statsmodels.stats.proportion.proportion_confint(successes, trials, alpha=0.05, method="wilson")`.
final class WilsonIntervalTests: XCTestCase {
    private let tolerance = 1e-6

    private func assertInterval(
        successes: Int, trials: Int, lower: Double, upper: Double, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let interval = WilsonInterval(successes: successes, trials: trials) else {
            return XCTFail("no interval for \(successes)/\(trials)", file: file, line: line)
        }
        XCTAssertEqual(interval.lower, lower, accuracy: tolerance, file: file, line: line)
        XCTAssertEqual(interval.upper, upper, accuracy: tolerance, file: file, line: line)
    }

    func testWilsonIntervalMatchesReferenceForSmallSample() {
        // proportion_confint(3, 10, alpha=0.05, method="wilson")
        assertInterval(successes: 3, trials: 10, lower: 0.10779126740630104, upper: 0.6032218525388546)
    }

    func testWilsonIntervalMatchesReferenceForLargeSample() {
        // proportion_confint(420, 1000, alpha=0.05, method="wilson")
        assertInterval(successes: 420, trials: 1000, lower: 0.3897726821587803, upper: 0.4508395991989084)
    }

    func testWilsonIntervalMatchesReferenceForRareSuccesses() {
        // proportion_confint(7, 1234, alpha=0.05, method="wilson")
        assertInterval(successes: 7, trials: 1234, lower: 0.0027504921793470045, upper: 0.011662871255492133)
    }

    func testNoSuccessesGiveLowerBoundZeroAndPositiveUpperBound() {
        // proportion_confint(0, 20, alpha=0.05, method="wilson")
        assertInterval(successes: 0, trials: 20, lower: 0.0, upper: 0.1611251580528194)
        XCTAssertEqual(WilsonInterval(successes: 0, trials: 20)?.lower, 0)
    }

    func testAllSuccessesGiveUpperBoundOneAndLowerBoundBelowOne() {
        // proportion_confint(20, 20, alpha=0.05, method="wilson") -> (0.8388748419471804, 0.9999999999999999)
        assertInterval(successes: 20, trials: 20, lower: 0.8388748419471804, upper: 1.0)
        XCTAssertEqual(WilsonInterval(successes: 20, trials: 20)?.upper, 1)
    }

    func testSingleTrialStillGivesAWideInterval() {
        // proportion_confint(1, 1, alpha=0.05, method="wilson")
        assertInterval(successes: 1, trials: 1, lower: 0.2065493143772374, upper: 1.0)
    }

    func testZeroTrialsGiveNoInterval() {
        XCTAssertNil(WilsonInterval(successes: 0, trials: 0))
    }

    func testInconsistentCountsGiveNoInterval() {
        XCTAssertNil(WilsonInterval(successes: 5, trials: 4))
        XCTAssertNil(WilsonInterval(successes: -1, trials: 4))
        XCTAssertNil(WilsonInterval(successes: 0, trials: -3))
    }

    func testIntervalContainsTheObservedRateAndStaysWithinUnitRange() {
        for trials in [1, 2, 5, 17, 100, 999] {
            for successes in 0...trials {
                let interval = WilsonInterval(successes: successes, trials: trials)!
                let rate = Double(successes) / Double(trials)
                XCTAssertLessThanOrEqual(0, interval.lower)
                XCTAssertLessThanOrEqual(interval.lower, rate)
                XCTAssertLessThanOrEqual(rate, interval.upper)
                XCTAssertLessThanOrEqual(interval.upper, 1)
            }
        }
    }
}
