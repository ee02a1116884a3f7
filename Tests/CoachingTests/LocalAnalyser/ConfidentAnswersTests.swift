import XCTest
@testable import Coaching

/// Counting what the local analyser would answer without the LLM at a confidence: only classifier
/// decisions with a situation at or above it count; rules-only decisions never do.
final class ConfidentAnswersTests: XCTestCase {
    private typealias Outcome = (label: HintType?, predicted: HintType?, confidence: Double?)

    private let outcomes: [Outcome] = [
        (.objection, .objection, 0.95),
        (.question, .question, 0.85),
        (.question, .opportunity, 0.82),        // wrong type, confident
        (nil, .buyingSignal, 0.9),              // a hint where nothing was worth saying
        (.escalationNeeded, .escalationNeeded, 0.6),
        (.objection, .objection, nil),          // the rules decided alone
        (nil, nil, 0.99),                       // a confident "none" is not an answer
        (.closingOpportunity, nil, 0.7),
    ]

    func testCountsOnlySituationsAtOrAboveTheConfidence() {
        let answers = ConfidentAnswers(minConfidence: 0.82, outcomes: outcomes)
        XCTAssertEqual(answers.answered, 4)
        XCTAssertEqual(answers.correct, 2)
        XCTAssertEqual(answers.onNone, 1)
        XCTAssertEqual(answers.situations, 6)
        XCTAssertEqual(answers.precision, 0.5)
        XCTAssertEqual(answers.coverage, 2.0 / 6.0)
    }

    func testRulesOnlyDecisionsAreNeverTrusted() {
        let answers = ConfidentAnswers(minConfidence: 0, outcomes: [(.objection, .objection, nil)])
        XCTAssertEqual(answers.answered, 0)
        XCTAssertEqual(answers.precision, 0)
    }

    func testTheLowestThresholdReachingAPrecisionIsChosen() {
        let sure: [Outcome] = (0..<30).map { _ in (.objection, .objection, 0.9) }
        let unsure: [Outcome] = (0..<30).map { _ in (.question, .opportunity, 0.55) }
        let chosen = ConfidentAnswers.lowestThreshold(reaching: 0.95, outcomes: sure + unsure)
        XCTAssertEqual(chosen?.minConfidence, 0.6)
        XCTAssertEqual(chosen?.precision, 1)
        XCTAssertNil(ConfidentAnswers.lowestThreshold(reaching: 0.95, outcomes: unsure))
        XCTAssertNil(ConfidentAnswers.lowestThreshold(reaching: 0.95, minimumAnswered: 31, outcomes: sure + unsure),
                     "too few answers to judge")
    }
}
