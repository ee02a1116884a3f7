import Foundation
import XCTest
import JSON
@testable import Coaching

final class SituationClassifierTests: XCTestCase {
    private static let classNames = ["objection", "opportunity", "question", "negative_sentiment", "buying_signal",
                                     "closing_opportunity", "escalation_needed", "none"]
    private static let classCount = 8

    /// A model with small weights of at most five decimals (what the file keeps) and the given bias.
    private func model(features: Int, bias: [Double], step: Int = 1) -> SituationClassifier.Model {
        SituationClassifier.Model(
            weights: (0..<Self.classCount).map { row in (0..<features).map { column in Double(step * (row + 1) * (column % 3 + 1) - 2) / 100 } },
            bias: bias)
    }

    private func classifier(model name: String = "e5-small", dimensions: Int = 4,
                            embeddingBias: [Double] = [0, 0, 0, 0, 0, 0, 0, 0]) -> SituationClassifier {
        SituationClassifier(
            embeddingsModel: name, dimensions: dimensions,
            combined: model(features: SituationFeatures.ruleCount + dimensions, bias: [0.1, -0.2, 0.3, 0, 0.25, -0.5, 0.75, 1.5]),
            embeddingOnly: model(features: dimensions, bias: embeddingBias, step: 3),
            provenance: .object([("examples", .int(120)), ("macro_f1", .double(0.875)), ("penalty", .double(0.001))]))
    }

    /// The classifier's JSON with `key` replaced.
    private func document(_ classifier: SituationClassifier, setting key: String, to value: JSONValue) -> JSONValue {
        classifier.json.setting(key, to: value)
    }

    private func invalidReason(_ document: JSONValue, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try SituationClassifier.decode(document)
            XCTFail("expected the document to be rejected", file: file, line: line)
            return nil
        } catch {
            guard case .invalid(let reason) = error else {
                XCTFail("expected .invalid, got \(error)", file: file, line: line)
                return nil
            }
            return reason
        }
    }

    // MARK: file

    func testJSONDecodesBackToAnEqualClassifier() throws {
        let original = classifier()
        let text = JSONWriter.string(original.json)
        let decoded = try SituationClassifier.decode(try JSONParser.parse(text, maxDepth: 8))
        XCTAssertEqual(decoded, original)
        XCTAssertEqual(decoded.embeddingsModel, "e5-small")
        XCTAssertEqual(decoded.dimensions, 4)
        XCTAssertEqual(decoded.combined.featureCount, SituationFeatures.ruleCount + 4)
        XCTAssertEqual(decoded.embeddingOnly.featureCount, 4)
        XCTAssertEqual(decoded.provenance["macro_f1"]?.doubleValue, 0.875)
    }

    func testTheFileListsTheClassesInWeightRowOrder() {
        let json = classifier().json
        XCTAssertEqual(json["format"]?.intValue, 1)
        XCTAssertEqual(json["classes"]?.arrayValue?.compactMap(\.stringValue), Self.classNames)
        XCTAssertEqual(SituationFeatures.classes.count, Self.classCount)
        XCTAssertNil(SituationFeatures.classes.last!, "none is the last row")
    }

    func testTheFileKeepsFiveDecimals() throws {
        var rows = [[Double]](repeating: [Double](repeating: 0, count: 2), count: Self.classCount)
        rows[0][1] = 0.123456789
        let embeddingOnly = SituationClassifier.Model(weights: rows, bias: [-1.0000049, 0, 0, 0, 0, 0, 0, 2])
        let original = SituationClassifier(
            embeddingsModel: "m", dimensions: 2,
            combined: model(features: SituationFeatures.ruleCount + 2, bias: [0, 0, 0, 0, 0, 0, 0, 0]),
            embeddingOnly: embeddingOnly)
        let decoded = try SituationClassifier.decode(try JSONParser.parse(JSONWriter.string(original.json)))
        XCTAssertEqual(decoded.embeddingOnly.weights[0][1], 0.12346, accuracy: 1e-12)
        XCTAssertEqual(decoded.embeddingOnly.bias[0], -1, accuracy: 1e-12)
        XCTAssertEqual(decoded.embeddingOnly.bias[7], 2)
    }

    func testLoadReadsAFileAndReportsAMissingOrBrokenOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("classifier-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.json")
        try JSONWriter.string(classifier().json).write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try SituationClassifier.load(path: good.path), classifier())

        XCTAssertThrowsError(try SituationClassifier.load(path: directory.appendingPathComponent("absent.json").path)) { error in
            guard case .unreadable = error as? SituationClassifier.LoadError else { return XCTFail("expected unreadable, got \(error)") }
        }
        let broken = directory.appendingPathComponent("broken.json")
        try "{\"format\":1,".write(to: broken, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SituationClassifier.load(path: broken.path)) { error in
            guard case .invalid = error as? SituationClassifier.LoadError else { return XCTFail("expected invalid, got \(error)") }
        }
    }

    func testDecodeRejectsAnotherFormatVersion() {
        let reason = invalidReason(document(classifier(), setting: "format", to: .int(2)))
        XCTAssertEqual(reason, "format must be 1")
        XCTAssertNotNil(invalidReason(document(classifier(), setting: "format", to: .string("1"))))
    }

    func testDecodeRejectsMissingModelNameOrDimensions() {
        XCTAssertEqual(invalidReason(document(classifier(), setting: "embeddings_model", to: .string(""))), "embeddings_model missing")
        XCTAssertEqual(invalidReason(document(classifier(), setting: "dimensions", to: .int(0))), "dimensions missing")
    }

    func testDecodeRejectsClassesInAnotherOrderOrMissingOne() {
        var swapped = Self.classNames
        swapped.swapAt(0, 1)
        XCTAssertNotNil(invalidReason(document(classifier(), setting: "classes", to: .array(swapped.map { .string($0) }))))
        let withoutNone = Self.classNames.dropLast().map { JSONValue.string($0) }
        XCTAssertNotNil(invalidReason(document(classifier(), setting: "classes", to: .array(withoutNone))))
        let renamed = Self.classNames.map { JSONValue.string($0 == "none" ? "other" : $0) }
        XCTAssertNotNil(invalidReason(document(classifier(), setting: "classes", to: .array(renamed))))
    }

    func testDecodeRejectsRowsOfTheWrongLength() {
        // The file says 5 dimensions but the weights were written for 4.
        let reason = invalidReason(document(classifier(dimensions: 4), setting: "dimensions", to: .int(5)))
        XCTAssertEqual(reason, "combined: every row needs \(SituationFeatures.ruleCount + 5) finite weights")

        // One short row in the embedding model only.
        let short = SituationClassifier.Model(
            weights: (0..<Self.classCount).map { $0 == 3 ? [0.1, 0.2, 0.3] : [0.1, 0.2, 0.3, 0.4] },
            bias: [Double](repeating: 0, count: Self.classCount))
        let broken = SituationClassifier(embeddingsModel: "m", dimensions: 4, combined: classifier().combined, embeddingOnly: short)
        XCTAssertEqual(invalidReason(broken.json), "embedding: every row needs 4 finite weights")
    }

    func testDecodeRejectsAMissingRowOrBias() {
        let sevenRows = SituationClassifier.Model(weights: Array(classifier().embeddingOnly.weights.prefix(7)),
                                                  bias: classifier().embeddingOnly.bias)
        let missingRow = SituationClassifier(embeddingsModel: "m", dimensions: 4, combined: classifier().combined, embeddingOnly: sevenRows)
        XCTAssertEqual(invalidReason(missingRow.json), "embedding: one row per class")

        let shortBias = SituationClassifier.Model(weights: classifier().combined.weights, bias: [0, 0, 0])
        let missingBias = SituationClassifier(embeddingsModel: "m", dimensions: 4, combined: shortBias, embeddingOnly: classifier().embeddingOnly)
        XCTAssertEqual(invalidReason(missingBias.json), "combined: one row per class")

        let noModels = document(classifier(), setting: "models", to: .object([("combined", classifier().json["models"]!["combined"]!)]))
        XCTAssertEqual(invalidReason(noModels), "model embedding missing")
    }

    // MARK: deciding

    func testProbabilitiesAreASoftmaxOverTheBias() {
        let probabilities = SituationClassifier.Model(weights: Array(repeating: [0], count: Self.classCount),
                                                      bias: [2, 0, 0, 0, 0, 0, 0, 0]).probabilities([5])
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-12)
        let e2 = Foundation.exp(2.0)
        XCTAssertEqual(probabilities[0], e2 / (e2 + 7), accuracy: 1e-12)
        XCTAssertEqual(probabilities[1], 1 / (e2 + 7), accuracy: 1e-12)
    }

    func testDecideTakesTheMostProbableClassWhenAllAreEnabled() throws {
        // objection 3 > question 2 > none 1 > the rest 0, and weights that read nothing.
        let lean = SituationClassifier(embeddingsModel: "m", dimensions: 4, combined: classifier().combined,
                                       embeddingOnly: SituationClassifier.Model(weights: Array(repeating: [0, 0, 0, 0], count: 8),
                                                                                bias: [3, 0, 2, 0, 0, 0, 0, 1]))
        let features = SituationFeatures(embedding: try XCTUnwrap(Embedding([1, 0, 0, 0])))
        XCTAssertEqual(lean.decide(lean.embeddingOnly, features: features, enabled: HintType.allCases), .objection)
    }

    func testDecideSkipsADisabledTypeForTheNextBestEnabledOne() throws {
        let lean = SituationClassifier(embeddingsModel: "m", dimensions: 4, combined: classifier().combined,
                                       embeddingOnly: SituationClassifier.Model(weights: Array(repeating: [0, 0, 0, 0], count: 8),
                                                                                bias: [3, 0, 2, 0, 0, 0, 0, 1]))
        let features = SituationFeatures(embedding: try XCTUnwrap(Embedding([0.5, 0.5, 0.5, 0.5])))
        let withoutObjection = HintType.allCases.filter { $0 != .objection }
        XCTAssertEqual(lean.decide(lean.embeddingOnly, features: features, enabled: withoutObjection), .question)
        // With question off too, "none" (always a candidate) beats the remaining zero-bias types.
        let neither = HintType.allCases.filter { $0 != .objection && $0 != .question }
        XCTAssertNil(lean.decide(lean.embeddingOnly, features: features, enabled: neither))
        // With only a weak type enabled, none still wins: disabling types never forces a hint.
        XCTAssertNil(lean.decide(lean.embeddingOnly, features: features, enabled: [.opportunity]))
    }

    func testDecideReadsTheFeatures() throws {
        // Row 4 (buying_signal) weighs the first embedding component, row 6 (escalation_needed) the second.
        var weights = [[Double]](repeating: [0, 0], count: Self.classCount)
        weights[4][0] = 4
        weights[6][1] = 4
        let model = SituationClassifier.Model(weights: weights, bias: [Double](repeating: 0, count: Self.classCount))
        let subject = SituationClassifier(embeddingsModel: "m", dimensions: 2, combined: model, embeddingOnly: model)
        let first = SituationFeatures(embedding: try XCTUnwrap(Embedding([1, 0])))
        let second = SituationFeatures(embedding: try XCTUnwrap(Embedding([0, 1])))
        XCTAssertEqual(subject.decide(model, features: first, enabled: HintType.allCases), .buyingSignal)
        XCTAssertEqual(subject.decide(model, features: second, enabled: HintType.allCases), .escalationNeeded)
    }

    func testAcceptsOnlyItsOwnModelAndDimensions() {
        let subject = classifier(model: "multilingual-e5-small", dimensions: 4)
        XCTAssertTrue(subject.accepts(model: "multilingual-e5-small", dimensions: 4))
        XCTAssertFalse(subject.accepts(model: "text-embedding-3-small", dimensions: 4))
        XCTAssertFalse(subject.accepts(model: "multilingual-e5-small", dimensions: 384))
        XCTAssertFalse(subject.accepts(model: "Multilingual-E5-Small", dimensions: 4))
    }

    // MARK: features

    func testFeaturesScaleTheEmbeddingToAboutOnePerComponent() throws {
        let embedding = try XCTUnwrap(Embedding([1, 1, 1, 1]))
        let features = SituationFeatures(embedding: embedding)
        XCTAssertEqual(features.values.count, 4)
        for value in features.values { XCTAssertEqual(value, 1, accuracy: 1e-6) }
    }

    func testCombinedFeaturesCapRuleScoresAndOneHotTheRulesDecision() throws {
        let reading = RuleReading(scores: [.objection: 7.5, .question: 1.25], decision: .objection, facets: [:])
        let embedding = try XCTUnwrap(Embedding([3, 4]))
        let values = SituationFeatures(rules: reading, embedding: embedding).values
        XCTAssertEqual(values.count, SituationFeatures.ruleCount + 2)
        XCTAssertEqual(values[0], 3, "objection's score is capped")
        XCTAssertEqual(values[2], 1.25)
        XCTAssertEqual(Array(values[7..<15]), [1, 0, 0, 0, 0, 0, 0, 0], "one-hot of the rules' decision")
        XCTAssertEqual(values[15], 0.6 * 2.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(values[16], 0.8 * 2.0.squareRoot(), accuracy: 1e-6)

        let nothing = SituationFeatures(rules: RuleReading(scores: [:], decision: nil, facets: [:]), embedding: nil).values
        XCTAssertEqual(nothing.count, SituationFeatures.ruleCount)
        XCTAssertEqual(nothing.last, 1, "no decision is the none column")
        XCTAssertEqual(nothing.reduce(0, +), 1)
    }
}
