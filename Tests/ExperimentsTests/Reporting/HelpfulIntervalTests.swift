import XCTest
@testable import Experiments

final class HelpfulIntervalTests: XCTestCase {
    private func helpful(_ clusters: [(Int, Int)]) -> ExperimentComparison.Helpful {
        var result = ExperimentComparison.Helpful()
        result.helpful = clusters.reduce(0) { $0 + $1.0 }
        result.rated = clusters.reduce(0) { $0 + $1.1 }
        result.clustered = ClusteredProportion(clusters: clusters.map { .init(successes: $0.0, trials: $0.1) })
        return result
    }

    func testAgentsWhoAgreeDoNotCollapseTheIntervalBelowWilson() throws {
        let agreeing = helpful([(1, 3), (1, 3)])
        let interval = try XCTUnwrap(agreeing.interval)
        let wilson = try XCTUnwrap(WilsonInterval(successes: 2, trials: 6))
        XCTAssertEqual(interval.lowerBound, wilson.lower, accuracy: 1e-12)
        XCTAssertEqual(interval.upperBound, wilson.upper, accuracy: 1e-12)
        XCTAssertGreaterThan(interval.upperBound - interval.lowerBound, 0.3)
    }

    func testClusteringThatWidensTheIntervalIsKept() throws {
        let split = helpful([(40, 40), (0, 40), (20, 40)])
        let clustered = try XCTUnwrap(split.clustered?.interval)
        XCTAssertEqual(split.interval, clustered)
        let wilson = try XCTUnwrap(WilsonInterval(successes: 60, trials: 120))
        XCTAssertLessThan(clustered.lowerBound, wilson.lower)
    }

    func testRatingsFromOneAgentGiveNoInterval() {
        XCTAssertNil(helpful([(5, 9)]).interval)
        XCTAssertNil(ExperimentComparison.Helpful().interval)
    }
}
