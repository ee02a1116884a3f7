import XCTest
@testable import Experiments

/// Reference probabilities computed with scipy 1.17.1 by adaptive quadrature, each variant's
/// posterior being `scipy.stats.beta(1 + helpful, 1 + not_helpful)`:
///
///     P(best_i)      = scipy.integrate.quad(lambda x: f_i.pdf(x) * prod(F_j.cdf(x) for j != i), lo, hi,
///                                           points=means, limit=1000, epsabs=1e-13, epsrel=1e-12)
///     P(i beats c)   = scipy.integrate.quad(lambda x: f_i.pdf(x) * f_c.cdf(x), lo, hi, ...)
///
/// with [lo, hi] = the union of mean ± 15 sd clipped to [0, 1]. The two-variant figures were
/// cross-checked against Evan Miller's closed form for integer Beta parameters
/// (e.g. 0.9828458862349521 for 40/60 vs 55/45).
final class BetaPosteriorTests: XCTestCase {
    private let tolerance = 1e-3

    private func compare(_ counts: [(Int, Int)], control: Int = 0) throws -> BetaPosterior.Comparison {
        let posteriors = counts.map { BetaPosterior(helpful: $0.0, notHelpful: $0.1) }
        return try XCTUnwrap(BetaPosterior.Comparison(posteriors: posteriors, controlIndex: control))
    }

    private func assertProbabilities(
        _ actual: [Double?], _ expected: [Double?], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            switch (a, e) {
            case (nil, nil): continue
            case let (a?, e?): XCTAssertEqual(a, e, accuracy: tolerance, file: file, line: line)
            default: XCTFail("expected \(String(describing: e)), got \(String(describing: a))", file: file, line: line)
            }
        }
    }

    func testPosteriorAddsRatingsToAUniformPrior() {
        let posterior = BetaPosterior(helpful: 40, notHelpful: 60)
        XCTAssertEqual(posterior.alpha, 41)
        XCTAssertEqual(posterior.beta, 61)
        XCTAssertEqual(posterior.mean, 41.0 / 102.0, accuracy: 1e-12)
    }

    func testTwoVariantProbabilitiesMatchQuadrature() throws {
        // control 40 helpful / 60 not, variant 55 / 45
        let result = try compare([(40, 60), (55, 45)])
        assertProbabilities(result.probabilityOfBeingBest, [0.017154113764982153, 0.9828458862350178])
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.9828458862350178])
    }

    func testThreeVariantProbabilitiesMatchQuadrature() throws {
        let result = try compare([(120, 80), (130, 70), (100, 100)])
        assertProbabilities(
            result.probabilityOfBeingBest, [0.1513996246325026, 0.8481912204604647, 0.00040915490703371995]
        )
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.8484701067301481, 0.02241363672784997])
    }

    func testFourVariantProbabilitiesMatchQuadrature() throws {
        let result = try compare([(30, 70), (31, 69), (29, 71), (45, 55)])
        assertProbabilities(
            result.probabilityOfBeingBest,
            [0.012568096216172631, 0.019130291156369317, 0.008048439374194413, 0.9602531732532636]
        )
        assertProbabilities(
            result.probabilityOfBeatingControl, [nil, 0.5605810432794067, 0.43885944581521846, 0.9854764919961662]
        )
    }

    func testNarrowPosteriorsFromLargeSamplesAreResolved() throws {
        // 10,000 ratings each; posterior sd ≈ 0.005, far below a [0, 1] grid's natural spacing
        let result = try compare([(4000, 6000), (4100, 5900)])
        assertProbabilities(result.probabilityOfBeingBest, [0.07487957474890383, 0.9251204252510989])
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.9251204252510989])
    }

    func testFreshVariantDoesNotBlurTheComparisonOfMatureOnes() throws {
        // two posteriors from a million ratings each (sd ≈ 0.0005) next to an unrated, flat one
        let result = try compare([(500_000, 500_000), (500_500, 499_500), (0, 0)])
        assertProbabilities(
            result.probabilityOfBeingBest, [0.11998492170521752, 0.38061489781455404, 0.49940018048018087]
        )
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.7602498519435655, 0.4999999999999999])
    }

    func testSkewedPosteriorsAtTheEdgesMatchQuadrature() throws {
        // Beta(4, 1) vs Beta(1, 4): densities peak at the ends of [0, 1]
        let result = try compare([(3, 0), (0, 3)])
        assertProbabilities(result.probabilityOfBeingBest, [0.9857142857142855, 0.014285714285714285])
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.014285714285714285])
    }

    func testEqualVariantsAreEachBestWithProbabilityOneOverN() throws {
        let result = try compare(Array(repeating: (50, 50), count: 4))
        assertProbabilities(result.probabilityOfBeingBest, [0.25, 0.25, 0.25, 0.25])
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.5, 0.5, 0.5])
    }

    func testVariantsWithoutRatingsAreACoinFlip() throws {
        let result = try compare([(0, 0), (0, 0)])
        assertProbabilities(result.probabilityOfBeingBest, [0.5, 0.5])
        assertProbabilities(result.probabilityOfBeatingControl, [nil, 0.5])
    }

    func testControlNeedNotBeTheFirstVariant() throws {
        // same data as the two-variant case, control listed second
        let result = try compare([(55, 45), (40, 60)], control: 1)
        XCTAssertEqual(result.controlIndex, 1)
        assertProbabilities(result.probabilityOfBeatingControl, [0.9828458862350178, nil])
    }

    func testSingleVariantIsBestWithCertainty() throws {
        let result = try compare([(10, 3)])
        assertProbabilities(result.probabilityOfBeingBest, [1])
        assertProbabilities(result.probabilityOfBeatingControl, [nil])
    }

    func testProbabilitiesOfBeingBestAddUpToOne() throws {
        let result = try compare([(12, 30), (80, 20), (3, 1), (500, 480), (0, 0)])
        XCTAssertEqual(result.probabilityOfBeingBest.reduce(0, +), 1, accuracy: tolerance)
    }

    func testResultsAreReproducible() throws {
        let counts = [(120, 80), (130, 70), (100, 100)]
        XCTAssertEqual(try compare(counts), try compare(counts))
    }

    func testNoPosteriorsOrAMissingControlGiveNil() {
        XCTAssertNil(BetaPosterior.Comparison(posteriors: []))
        let posteriors = [BetaPosterior(helpful: 1, notHelpful: 1), BetaPosterior(helpful: 2, notHelpful: 1)]
        XCTAssertNil(BetaPosterior.Comparison(posteriors: posteriors, controlIndex: 2))
        XCTAssertNil(BetaPosterior.Comparison(posteriors: posteriors, controlIndex: -1))
    }
}
