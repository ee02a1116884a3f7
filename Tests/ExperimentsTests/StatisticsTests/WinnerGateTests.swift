import XCTest
@testable import Experiments

final class WinnerGateTests: XCTestCase {
    private let gate = WinnerGate()
    /// chisquare([50, 52]) -> p ≈ 0.84: a healthy split
    private let healthySplit = SampleRatioCheck(observed: [50, 52], expectedWeights: [1, 1])
    /// chisquare([500, 620]) -> p = 0.000336: a broken split
    private let brokenSplit = SampleRatioCheck(observed: [500, 620], expectedWeights: [1, 1])

    private func variant(
        _ name: String, hints: Int = 400, agents: Int = 12, best: Double
    ) -> WinnerGate.Variant {
        WinnerGate.Variant(name: name, ratedHints: hints, agents: agents, probabilityOfBeingBest: best)
    }

    func testSuggestsTheVariantThatIsBestWithHighProbabilityWhenDataSuffices() {
        let verdict = gate.verdict(for: [variant("a", best: 0.03), variant("b", best: 0.97)], sampleRatio: healthySplit)
        XCTAssertEqual(verdict, .suggest("b"))
    }

    func testThresholdsAreInclusive() {
        let verdict = gate.verdict(
            for: [variant("a", hints: 100, agents: 5, best: 0.05), variant("b", hints: 100, agents: 5, best: 0.95)],
            sampleRatio: healthySplit
        )
        XCTAssertEqual(verdict, .suggest("b"))
    }

    func testTooFewRatedHintsBlocksTheSuggestion() {
        let verdict = gate.verdict(
            for: [variant("a", best: 0.01), variant("b", hints: 42, best: 0.99)], sampleRatio: healthySplit
        )
        XCTAssertEqual(verdict, .insufficient(reasons: ["variant b has 42 rated hints; 100 needed"]))
    }

    func testTooFewAgentsBlocksTheSuggestion() {
        let verdict = gate.verdict(
            for: [variant("a", agents: 1, best: 0.01), variant("b", best: 0.99)], sampleRatio: healthySplit
        )
        XCTAssertEqual(verdict, .insufficient(reasons: ["variant a has ratings from 1 agent; 5 needed"]))
    }

    func testSampleRatioMismatchBlocksTheSuggestion() {
        let verdict = gate.verdict(for: [variant("a", best: 0.01), variant("b", best: 0.99)], sampleRatio: brokenSplit)
        XCTAssertEqual(verdict, .insufficient(reasons: [
            "the agents' split between variants does not match the planned weights (sample-ratio mismatch, "
                + "p = 0.00034); check the assignment before trusting any result",
        ]))
    }

    func testMissingSampleRatioCheckBlocksTheSuggestion() {
        let verdict = gate.verdict(for: [variant("a", best: 0.01), variant("b", best: 0.99)], sampleRatio: nil)
        XCTAssertEqual(verdict, .insufficient(reasons: [
            "the sample-ratio check could not be run, so a biased split cannot be ruled out",
        ]))
    }

    func testUndecidedPosteriorBlocksTheSuggestion() {
        let verdict = gate.verdict(for: [variant("a", best: 0.127), variant("b", best: 0.873)], sampleRatio: healthySplit)
        XCTAssertEqual(verdict, .insufficient(reasons: [
            "no variant is best with probability of at least 95% (highest: b at 87.3%)",
        ]))
    }

    func testLeaderJustBelowThresholdIsNotRoundedUpToIt() {
        let verdict = gate.verdict(
            for: [variant("a", best: 0.0501), variant("b", best: 0.9499)], sampleRatio: healthySplit
        )
        XCTAssertEqual(verdict, .insufficient(reasons: [
            "no variant is best with probability of at least 95% (highest: b at 94.9%)",
        ]))
    }

    func testEveryUnmetConditionIsListedInOrder() {
        let verdict = gate.verdict(
            for: [variant("control", hints: 90, agents: 3, best: 0.4), variant("b", hints: 1, agents: 1, best: 0.6)],
            sampleRatio: brokenSplit
        )
        guard case .insufficient(let reasons) = verdict else { return XCTFail("suggested \(verdict)") }
        XCTAssertEqual(Array(reasons.prefix(4)), [
            "variant control has 90 rated hints; 100 needed",
            "variant control has ratings from 3 agents; 5 needed",
            "variant b has 1 rated hint; 100 needed",
            "variant b has ratings from 1 agent; 5 needed",
        ])
        XCTAssertEqual(reasons.count, 6)
        XCTAssertTrue(reasons[4].contains("sample-ratio mismatch"))
        XCTAssertEqual(reasons[5], "no variant is best with probability of at least 95% (highest: b at 60%)")
    }

    func testCustomThresholdsReplaceTheDefaults() {
        let strict = WinnerGate(minimumRatedHints: 500, minimumAgents: 20, minimumProbabilityOfBeingBest: 0.99)
        let verdict = strict.verdict(for: [variant("a", best: 0.02), variant("b", best: 0.98)], sampleRatio: healthySplit)
        XCTAssertEqual(verdict, .insufficient(reasons: [
            "variant a has 400 rated hints; 500 needed",
            "variant a has ratings from 12 agents; 20 needed",
            "variant b has 400 rated hints; 500 needed",
            "variant b has ratings from 12 agents; 20 needed",
            "no variant is best with probability of at least 99% (highest: b at 98%)",
        ]))

        let lenient = WinnerGate(minimumRatedHints: 10, minimumAgents: 2, minimumProbabilityOfBeingBest: 0.9)
        let smallExperiment = [
            variant("a", hints: 10, agents: 2, best: 0.08), variant("b", hints: 12, agents: 2, best: 0.92),
        ]
        XCTAssertEqual(lenient.verdict(for: smallExperiment, sampleRatio: healthySplit), .suggest("b"))
    }

    func testASingleVariantIsNeverAWinner() {
        let verdict = gate.verdict(for: [variant("a", best: 1)], sampleRatio: healthySplit)
        XCTAssertEqual(verdict, .insufficient(reasons: ["an experiment needs at least two variants to compare; it has 1"]))
    }

    func testNoVariantsGiveAReasonRatherThanASuggestion() {
        XCTAssertEqual(
            gate.verdict(for: [], sampleRatio: nil),
            .insufficient(reasons: [
                "an experiment needs at least two variants to compare; it has 0",
                "the sample-ratio check could not be run, so a biased split cannot be ruled out",
            ])
        )
    }

    func testWorksEndToEndWithPosteriorComparison() throws {
        // 400 ratings per arm from 12 agents each, b clearly better (P(best) ≈ 1)
        let posteriors = [BetaPosterior(helpful: 160, notHelpful: 240), BetaPosterior(helpful: 240, notHelpful: 160)]
        let comparison = try XCTUnwrap(BetaPosterior.Comparison(posteriors: posteriors))
        let variants = zip(["a", "b"], comparison.probabilityOfBeingBest).map { variant($0, best: $1) }
        XCTAssertEqual(
            gate.verdict(for: variants, sampleRatio: SampleRatioCheck(observed: [12, 12], expectedWeights: [1, 1])),
            .suggest("b")
        )
    }
}
