import XCTest
@testable import Experiments

/// Reference values computed with scipy 1.17.1:
/// `scipy.stats.chisquare(observed, f_exp=sum(observed) * w / sum(w))` for the statistic and p-value
/// (identical to `scipy.stats.chi2.sf(statistic, len(observed) - 1)`), and
/// `scipy.special.gammaincc(a, x)` for the incomplete gamma function.
final class SampleRatioCheckTests: XCTestCase {
    private let tolerance = 1e-6

    func testBalancedSplitWithinChanceIsNotAMismatch() throws {
        // chisquare([500, 520], f_exp=[510, 510])
        let check = try XCTUnwrap(SampleRatioCheck(observed: [500, 520], expectedWeights: [1, 1]))
        XCTAssertEqual(check.statistic, 0.39215686274509803, accuracy: tolerance)
        XCTAssertEqual(check.degreesOfFreedom, 1)
        XCTAssertEqual(check.pValue, 0.5311678365460142, accuracy: tolerance)
        XCTAssertFalse(check.mismatch)
    }

    func testSkewedFiftyFiftySplitIsAMismatch() throws {
        // chisquare([500, 620], f_exp=[560, 560])
        let check = try XCTUnwrap(SampleRatioCheck(observed: [500, 620], expectedWeights: [1, 1]))
        XCTAssertEqual(check.statistic, 12.857142857142858, accuracy: tolerance)
        XCTAssertEqual(check.pValue, 0.0003361935047480255, accuracy: tolerance)
        XCTAssertTrue(check.mismatch)
    }

    func testUnequalWeightsAreRespected() throws {
        // chisquare([1000, 470, 530], f_exp=[1000, 500, 500])
        let check = try XCTUnwrap(SampleRatioCheck(observed: [1000, 470, 530], expectedWeights: [0.5, 0.25, 0.25]))
        XCTAssertEqual(check.statistic, 3.6, accuracy: tolerance)
        XCTAssertEqual(check.degreesOfFreedom, 2)
        XCTAssertEqual(check.pValue, 0.16529888822158653, accuracy: tolerance)
        XCTAssertFalse(check.mismatch)
    }

    func testLopsidedPlannedSplitMatchedExactlyGivesPValueOne() throws {
        // chisquare([900, 100], f_exp=[900, 100]) -> statistic 0, p 1
        let check = try XCTUnwrap(SampleRatioCheck(observed: [900, 100], expectedWeights: [0.9, 0.1]))
        XCTAssertEqual(check.statistic, 0, accuracy: tolerance)
        XCTAssertEqual(check.pValue, 1, accuracy: tolerance)
        XCTAssertFalse(check.mismatch)
    }

    func testFourVariantsSmallCountsMismatch() throws {
        // chisquare([31, 9, 20, 40], f_exp=[25, 25, 25, 25])
        let check = try XCTUnwrap(SampleRatioCheck(observed: [31, 9, 20, 40], expectedWeights: [1, 1, 1, 1]))
        XCTAssertEqual(check.statistic, 21.68, accuracy: tolerance)
        XCTAssertEqual(check.degreesOfFreedom, 3)
        XCTAssertEqual(check.pValue, 7.603576422027396e-05, accuracy: tolerance)
        XCTAssertEqual(check.pValue / 7.603576422027396e-05, 1, accuracy: 1e-9)
        XCTAssertTrue(check.mismatch)
    }

    func testTinyPValueKeepsRelativeAccuracy() throws {
        // chisquare([1000, 1300], f_exp=[1150, 1150]); chi2.sf(39.130434782608695, 1) = 3.9641597078900225e-10
        let check = try XCTUnwrap(SampleRatioCheck(observed: [1000, 1300], expectedWeights: [1, 1]))
        XCTAssertEqual(check.statistic, 39.130434782608695, accuracy: tolerance)
        XCTAssertEqual(check.pValue / 3.9641597078900225e-10, 1, accuracy: 1e-9)
        XCTAssertTrue(check.mismatch)
    }

    func testThresholdIsAdjustable() throws {
        // p = 0.0003361935047480255 (see above) is below 0.001 but not below 0.0001
        let check = try XCTUnwrap(SampleRatioCheck(observed: [500, 620], expectedWeights: [1, 1], threshold: 0.0001))
        XCTAssertFalse(check.mismatch)
    }

    func testNothingToTestGivesNil() {
        XCTAssertNil(SampleRatioCheck(observed: [10], expectedWeights: [1]), "one variant")
        XCTAssertNil(SampleRatioCheck(observed: [0, 0], expectedWeights: [1, 1]), "no agents")
        XCTAssertNil(SampleRatioCheck(observed: [10, 12], expectedWeights: [1, 1, 1]), "length mismatch")
        XCTAssertNil(SampleRatioCheck(observed: [10, -1], expectedWeights: [1, 1]), "negative count")
        XCTAssertNil(SampleRatioCheck(observed: [10, 12], expectedWeights: [1, 0]), "zero weight")
        XCTAssertNil(SampleRatioCheck(observed: [10, 12], expectedWeights: [1, .nan]), "NaN weight")
    }

    func testRegularizedUpperGammaMatchesScipyOnBothExpansions() {
        // scipy.special.gammaincc(a, x); x < a + 1 uses the series, x >= a + 1 the continued fraction
        let references: [(a: Double, x: Double, q: Double)] = [
            (0.5, 0.1, 0.6547208460185768),
            (0.5, 3.0, 0.014305878435429641),
            (1.0, 1.0, 0.36787944117144245),
            (2.5, 1.7, 0.6385699231037951),
            (5.0, 12.0, 0.007600390681066992),
            (10.0, 3.0, 0.9988975118698845),
            (50.0, 60.0, 0.08440668109369177),
            (1.5, 0.0, 1.0),
        ]
        for reference in references {
            XCTAssertEqual(
                RegularizedGamma.upper(a: reference.a, x: reference.x), reference.q, accuracy: 1e-12,
                "Q(\(reference.a), \(reference.x))"
            )
        }
        // gammaincc(0.5, 40.0) = 3.744097384202887e-19: the far tail keeps its relative accuracy
        XCTAssertEqual(RegularizedGamma.upper(a: 0.5, x: 40) / 3.744097384202887e-19, 1, accuracy: 1e-9)
    }
}
