import XCTest
@testable import Experiments

final class VariantBucketTests: XCTestCase {
    private let even = [ExperimentDefinition.Variant(name: "a", weight: 50), .init(name: "b", weight: 50)]

    func testTheSameAgentAlwaysLandsInTheSameBucket() {
        let first = VariantBucket.bucket(salt: "s", experiment: "e", agentID: 42)
        for _ in 0..<100 {
            XCTAssertEqual(VariantBucket.bucket(salt: "s", experiment: "e", agentID: 42), first)
        }
        XCTAssert((0..<VariantBucket.count).contains(first))
    }

    func testBucketMatchesAnIndependentSHA256Computation() {
        // python3: int.from_bytes(hashlib.sha256(b"coach-style-2026-11:coach-style:7").digest()[:8], "big") % 10000
        XCTAssertEqual(VariantBucket.bucket(salt: "coach-style-2026-11", experiment: "coach-style", agentID: 7), 5619)
        // python3: int.from_bytes(hashlib.sha256(b"x:y:123456").digest()[:8], "big") % 10000
        XCTAssertEqual(VariantBucket.bucket(salt: "x", experiment: "y", agentID: 123_456), 3696)
    }

    func testTenThousandAgentsSplitByWeightWithinTolerance() {
        let variants = [ExperimentDefinition.Variant(name: "a", weight: 20), .init(name: "b", weight: 30),
                        .init(name: "c", weight: 50)]
        var counts: [String: Int] = [:]
        for agent in 1...10_000 {
            let bucket = VariantBucket.bucket(salt: "salt", experiment: "exp", agentID: agent)
            counts[VariantBucket.variant(forBucket: bucket, in: variants), default: 0] += 1
        }
        // Binomial sd at n = 10,000 is at most 50; 4 sd of tolerance.
        XCTAssertEqual(Double(counts["a"] ?? 0), 2_000, accuracy: 200)
        XCTAssertEqual(Double(counts["b"] ?? 0), 3_000, accuracy: 200)
        XCTAssertEqual(Double(counts["c"] ?? 0), 5_000, accuracy: 200)
    }

    func testBucketsMapToVariantsByCumulativeShare() {
        XCTAssertEqual(VariantBucket.variant(forBucket: 0, in: even), "a")
        XCTAssertEqual(VariantBucket.variant(forBucket: 4_999, in: even), "a")
        XCTAssertEqual(VariantBucket.variant(forBucket: 5_000, in: even), "b")
        XCTAssertEqual(VariantBucket.variant(forBucket: 9_999, in: even), "b")
        let uneven = [ExperimentDefinition.Variant(name: "a", weight: 1), .init(name: "b", weight: 3)]
        XCTAssertEqual(VariantBucket.variant(forBucket: 2_499, in: uneven), "a")
        XCTAssertEqual(VariantBucket.variant(forBucket: 2_500, in: uneven), "b")
    }

    func testDifferentExperimentsSplitAgentsIndependently() {
        var same = 0
        for agent in 1...2_000 {
            let first = VariantBucket.variant(forBucket: VariantBucket.bucket(salt: "one", experiment: "one", agentID: agent), in: even)
            let second = VariantBucket.variant(forBucket: VariantBucket.bucket(salt: "two", experiment: "two", agentID: agent), in: even)
            if first == second { same += 1 }
        }
        XCTAssertEqual(Double(same), 1_000, accuracy: 150)
    }

    func testThompsonAllocationFavoursTheArmThatHelpsMore() {
        var allocation = ThompsonAllocation(random: SystemRandomNumberGenerator())
        var wins = 0
        for _ in 0..<1_000 {
            if allocation.choose(["a", "b"], ratings: ["a": (10, 90), "b": (90, 10)]) == "b" { wins += 1 }
        }
        XCTAssertGreaterThan(wins, 990)
        var even = 0
        for _ in 0..<2_000 where allocation.choose(["a", "b"], ratings: [:]) == "a" { even += 1 }
        XCTAssertEqual(Double(even), 1_000, accuracy: 150)
    }
}
