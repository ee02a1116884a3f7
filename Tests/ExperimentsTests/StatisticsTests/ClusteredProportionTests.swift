import XCTest
@testable import Experiments

/// Reference figures computed with statsmodels 0.15.0 on the individual ratings (1 = helpful,
/// 0 = not helpful), agent as the group:
///
///     res = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": agent})
///     p, se = res.params[0], res.bse[0]
///     z = scipy.stats.norm.ppf(0.975)                       # 1.959963984540054
///     interval = (max(0, p - z*se), min(1, p + z*se))
///     design_effect = se**2 / (p*(1-p)/len(y))
///
/// With a constant as the only regressor statsmodels' cluster correction G/(G−1)·(N−1)/(N−K) reduces
/// to G/(G−1), so this is an independent computation of the same estimator.
final class ClusteredProportionTests: XCTestCase {
    private let tolerance = 1e-6

    private func clusters(_ counts: [(Int, Int)]) -> [ClusteredProportion.Cluster] {
        counts.map { ClusteredProportion.Cluster(successes: $0.0, trials: $0.1) }
    }

    func testClusteredIntervalMatchesStatsmodelsClusterRobustOLS() throws {
        // agents (helpful, rated): (12,20) (30,41) (5,18) (44,50) (9,30)
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(12, 20), (30, 41), (5, 18), (44, 50), (9, 30)])))
        XCTAssertEqual(result.successes, 100)
        XCTAssertEqual(result.trials, 159)
        XCTAssertEqual(result.clusterCount, 5)
        XCTAssertEqual(result.rate, 0.6289308176100628, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.standardError), 0.12440444441219764, accuracy: tolerance)
        let interval = try XCTUnwrap(result.interval)
        XCTAssertEqual(interval.lowerBound, 0.3851025870454402, accuracy: tolerance)
        XCTAssertEqual(interval.upperBound, 0.8727590481746853, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.designEffect), 10.54413975055966, accuracy: tolerance)
    }

    func testIntervalIsClampedAtZeroWhenOneAgentCarriesAllSuccesses() throws {
        // agents: (0,50) (0,40) (6,10); unclamped lower bound would be about -0.099
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(0, 50), (0, 40), (6, 10)])))
        XCTAssertEqual(result.rate, 0.06, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.standardError), 0.08116649555081214, accuracy: tolerance)
        let interval = try XCTUnwrap(result.interval)
        XCTAssertEqual(interval.lowerBound, 0)
        XCTAssertEqual(interval.upperBound, 0.21908340803092236, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.designEffect), 11.680851063829797, accuracy: tolerance)
    }

    func testAgentsWithoutRatingsDoNotCountAsClusters() throws {
        // agents: (3,4) (1,7) (0,0) (2,2); statsmodels sees three groups because the idle agent has no rows
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(3, 4), (1, 7), (0, 0), (2, 2)])))
        XCTAssertEqual(result.clusterCount, 3)
        XCTAssertEqual(result.rate, 0.4615384615384618, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.standardError), 0.2574474546486049, accuracy: tolerance)
        let interval = try XCTUnwrap(result.interval)
        XCTAssertEqual(interval.lowerBound, 0)
        XCTAssertEqual(interval.upperBound, 0.9661262005612363, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.designEffect), 3.4670329670329743, accuracy: tolerance)
    }

    func testIdenticalAgentsGiveZeroWidthAndNoInflation() throws {
        // agents: (10,20) x3; statsmodels: se ≈ 4e-17, design effect ≈ 4e-31
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(10, 20), (10, 20), (10, 20)])))
        XCTAssertEqual(result.rate, 0.5, accuracy: tolerance)
        let interval = try XCTUnwrap(result.interval)
        XCTAssertEqual(interval.lowerBound, 0.5, accuracy: tolerance)
        XCTAssertEqual(interval.upperBound, 0.5, accuracy: tolerance)
        XCTAssertEqual(try XCTUnwrap(result.designEffect), 0, accuracy: tolerance)
    }

    func testOneAgentGivesRateButNoInterval() throws {
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(7, 10), (0, 0)])))
        XCTAssertEqual(result.rate, 0.7, accuracy: tolerance)
        XCTAssertEqual(result.clusterCount, 1)
        XCTAssertNil(result.standardError)
        XCTAssertNil(result.interval)
        XCTAssertNil(result.designEffect)
    }

    func testAllHelpfulGivesRateOneAndNoDesignEffect() throws {
        let result = try XCTUnwrap(ClusteredProportion(clusters: clusters([(4, 4), (9, 9)])))
        XCTAssertEqual(result.rate, 1)
        XCTAssertEqual(result.interval, 1...1)
        XCTAssertNil(result.designEffect, "binomial variance is zero, so the ratio is undefined")
    }

    func testNothingRatedGivesNoResult() {
        XCTAssertNil(ClusteredProportion(clusters: []))
        XCTAssertNil(ClusteredProportion(clusters: clusters([(0, 0), (0, 0)])))
    }

    func testInconsistentCountsGiveNoResult() {
        XCTAssertNil(ClusteredProportion(clusters: clusters([(3, 2), (1, 5)])))
        XCTAssertNil(ClusteredProportion(clusters: clusters([(-1, 2), (1, 5)])))
    }
}
