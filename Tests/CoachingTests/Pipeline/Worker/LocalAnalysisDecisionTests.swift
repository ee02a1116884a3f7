import XCTest
@testable import Coaching

/// When the pre-filter may answer a job itself: a situation the classifier gave at least the
/// configured confidence; never a rules-only decision, never "none", never with the setting at 0.
final class LocalAnalysisDecisionTests: XCTestCase {
    private let hint = AnalysisOutput(hasHint: true, hintType: .objection, hintText: "h", suggestions: ["s"])

    private func decision(_ output: AnalysisOutput, _ method: LocalAnalyser.Method, _ confidence: Double?) -> LocalAnalysisRunner.Decision {
        LocalAnalysisRunner.Decision(output: output, method: method, confidence: confidence, note: nil)
    }

    func testASureSituationIsAnsweredLocally() {
        XCTAssertTrue(decision(hint, .combined, 0.8).answersLocally(minConfidence: 0.8))
        XCTAssertFalse(decision(hint, .combined, 0.79).answersLocally(minConfidence: 0.8))
    }

    func testZeroTurnsLocalAnswersOff() {
        XCTAssertFalse(decision(hint, .combined, 1).answersLocally(minConfidence: 0))
    }

    func testRulesAloneAndNoneAreNeverAnsweredLocally() {
        XCTAssertFalse(decision(hint, .rules, nil).answersLocally(minConfidence: 0.5))
        XCTAssertFalse(decision(.none, .combined, 0.99).answersLocally(minConfidence: 0.5))
    }
}
