import XCTest
import JSON
@testable import Coaching

final class LocalAnalyserEvaluationTests: XCTestCase {
    /// The shipped set.
    static var evaluationSetPath: String {
        PackageRoot.path("eval/local-analyser.jsonl")
    }

    /// Slightly below what the analyser achieves on the shipped set, so a regression fails here.
    static let macroF1Floor = 0.95

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

    func testParseRejectsBadLinesWithTheirLineNumber() {
        let cases: [(String, Int, String)] = [
            ("{\"id\":1,\"lang\":\"en\",\"text\":\"hi\",\"label\":\"none\"}\n{oops}", 2, "invalid JSON"),
            ("{\"id\":1,\"lang\":\"en\",\"text\":\"hi\",\"label\":\"sarcasm\"}", 1, "unknown label"),
            ("{\"id\":1,\"lang\":\"en\",\"text\":\"hi\",\"label\":\"none\"}\n\n{\"id\":1,\"lang\":\"en\",\"text\":\"yo\",\"label\":\"none\"}", 3, "duplicate id"),
            ("{\"id\":\"x\",\"lang\":\"en\",\"text\":\"hi\",\"label\":\"none\"}", 1, "id"),
            ("{\"id\":1,\"lang\":\"en\",\"text\":\"\",\"label\":\"none\"}", 1, "text"),
        ]
        for (text, line, reason) in cases {
            XCTAssertThrowsError(try LocalAnalyserEvaluation.parse(jsonl: text)) { error in
                guard let failure = error as? LocalAnalyserEvaluation.LoadError else { return XCTFail("\(error)") }
                XCTAssertEqual(failure.line, line, text)
                XCTAssertTrue(failure.reason.contains(reason), failure.description)
            }
        }
        XCTAssertThrowsError(try LocalAnalyserEvaluation.load(path: "/nonexistent/set.jsonl"))
    }

    func testMetricsTreatNoneAsTheNegativeClass() throws {
        let examples = try LocalAnalyserEvaluation.parse(jsonl: """
            {"id":1,"lang":"en","text":"a","label":"objection"}
            {"id":2,"lang":"en","text":"b","label":"objection"}
            {"id":3,"lang":"en","text":"c","label":"none"}
            {"id":4,"lang":"pt-BR","text":"d","label":"question"}
            {"id":5,"lang":"pt-BR","text":"e","label":"none"}
            """)
        XCTAssertEqual(examples.map(\.label), [.objection, .objection, nil, .question, nil])
        let predicted: [HintType?] = [.objection, nil, .objection, .question, nil]
        let report = LocalAnalyserEvaluation.Report(predictions: zip(examples, predicted).map {
            LocalAnalyserEvaluation.Prediction(example: $0, predicted: $1)
        })
        let objection = try XCTUnwrap(report.perType.first { $0.type == .objection })
        XCTAssertEqual([objection.truePositives, objection.falsePositives, objection.falseNegatives], [1, 1, 1])
        XCTAssertEqual(objection.precision, 0.5, accuracy: 1e-9)
        XCTAssertEqual(objection.recall, 0.5, accuracy: 1e-9)
        XCTAssertEqual(objection.f1, 0.5, accuracy: 1e-9)
        let question = try XCTUnwrap(report.perType.first { $0.type == .question })
        XCTAssertEqual(question.f1, 1, accuracy: 1e-9)
        // Types with no examples and no predictions score 0 and still count in the macro average.
        XCTAssertEqual(report.macroF1, 1.5 / 7, accuracy: 1e-9)
        XCTAssertEqual(report.accuracy, 0.6, accuracy: 1e-9)
        XCTAssertEqual(report.falseAlarmRate, 0.5, accuracy: 1e-9)
        XCTAssertEqual(report.confusion[LocalAnalyserEvaluation.Report.index(of: nil)][LocalAnalyserEvaluation.Report.index(of: .objection)], 1)
        XCTAssertEqual(report.restricted(toLanguage: "pt-BR").accuracy, 1, accuracy: 1e-9)

        let table = report.table(title: "tiny", showMisses: true)
        XCTAssertTrue(table.contains("macro-F1 0.214"), table)
        XCTAssertTrue(table.contains("objection → none"), table)
        let json = report.json(includeMisses: true)
        XCTAssertEqual(json["messages"]?.intValue, 5)
        XCTAssertEqual(json["per_type"]?.arrayValue?.count, 7)
        XCTAssertEqual(json["misses"]?.arrayValue?.count, 2)
        XCTAssertNotNil(try? JSONParser.parse(JSONWriter.string(json)))
    }
}
