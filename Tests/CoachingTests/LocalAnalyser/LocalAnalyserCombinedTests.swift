import XCTest
@testable import Coaching

/// The local analyser with a trained classifier: it decides from rules and embedding together only
/// when the embedding comes from the model (and dimension) the classifier was trained with.
final class LocalAnalyserCombinedTests: XCTestCase {
    private static let model = "e5-test"
    private static let dimensions = 3
    private static let row: [HintType?: Int] = Dictionary(uniqueKeysWithValues: SituationFeatures.classes.enumerated().map { ($1, $0) })

    /// Reads only the embedding: its first component means buying_signal, its second escalation_needed,
    /// its third nothing ("none" has a small head start). Rule features weigh zero.
    private static func classifier(model: String = LocalAnalyserCombinedTests.model) -> SituationClassifier {
        let classes = SituationFeatures.classes.count
        let ruleCount = SituationFeatures.ruleCount
        var combined = [[Double]](repeating: [Double](repeating: 0, count: ruleCount + dimensions), count: classes)
        combined[row[.buyingSignal]!][ruleCount + 0] = 4
        combined[row[.escalationNeeded]!][ruleCount + 1] = 4
        combined[row[.objection]!][ruleCount + 1] = 2  // the runner-up when escalation is off
        var bias = [Double](repeating: 0, count: classes)
        bias[classes - 1] = 0.5
        var embeddingOnly = [[Double]](repeating: [Double](repeating: 0, count: dimensions), count: classes)
        embeddingOnly[row[.question]!][0] = 4
        embeddingOnly[row[nil]!][1] = 4
        return SituationClassifier(
            embeddingsModel: model, dimensions: dimensions,
            combined: SituationClassifier.Model(weights: combined, bias: bias),
            embeddingOnly: SituationClassifier.Model(weights: embeddingOnly, bias: [Double](repeating: 0, count: classes)))
    }

    private let analyser = LocalAnalyser(classifier: LocalAnalyserCombinedTests.classifier())
    private let buying = Embedding([1, 0, 0])!
    private let escalation = Embedding([0, 1, 0])!
    private let neutral = Embedding([0, 0, 1])!

    private func input(_ message: String, language: String = "en", enabled: [HintType] = HintType.allCases) -> AnalysisInput {
        AnalysisInput(context: [], messages: [message], enabledTypes: enabled, language: language)
    }

    // MARK: combined

    func testAMatchingEmbeddingLetsTheClassifierDecide() {
        // The rules read an objection here; the classifier follows the embedding.
        let message = "I'll think about it and get back to you"
        XCTAssertEqual(LocalAnalyser().analyse(input(message)).hintType, .objection, "precondition: rules say objection")
        let (output, method) = analyser.analyse(input(message), embedding: escalation, embeddingsModel: Self.model)
        XCTAssertEqual(method, .combined)
        XCTAssertTrue(output.hasHint)
        XCTAssertEqual(output.hintType, .escalationNeeded)
        XCTAssertFalse(output.hintText.isEmpty)
        XCTAssertFalse(output.suggestions.isEmpty)
        XCTAssertLessThanOrEqual(output.suggestions.count, OutputValidator.maxSuggestions)
        XCTAssertLessThanOrEqual(output.suggestions.count, 3)
    }

    func testATypeNoRuleNamedGetsTheGeneralHintOfItsTypeInTheCustomersLanguage() {
        let english = analyser.analyse(input("I'll think about it and get back to you"), embedding: buying, embeddingsModel: Self.model).output
        XCTAssertEqual(english.hintType, .buyingSignal)
        let generalEnglish = HintPhrasebook.entry(for: .nextStep, language: .english)
        XCTAssertEqual(english.hintText, generalEnglish.hint)
        XCTAssertEqual(english.suggestions, Array(generalEnglish.suggestions.prefix(3)))

        let portuguese = analyser.analyse(input("vou pensar e te falo depois", language: "en"), embedding: buying,
                                          embeddingsModel: Self.model).output
        XCTAssertEqual(portuguese.hintType, .buyingSignal)
        XCTAssertEqual(portuguese.hintText, HintPhrasebook.entry(for: .nextStep, language: .portuguese).hint)
        XCTAssertNotEqual(portuguese.hintText, english.hintText)
    }

    func testTheClassifierSaysHowSureItIsAndTheRulesDoNot() {
        let message = "I'll think about it and get back to you"
        let sure = analyser.classify(input(message), embedding: escalation, embeddingsModel: Self.model)
        XCTAssertEqual(sure.output.hintType, .escalationNeeded)
        // Embedding values are scaled by √dimensions: logits escalation 4√3, objection 2√3, none 0.5, five others 0.
        let root = 3.0.squareRoot()
        let expected = exp(4 * root) / (exp(4 * root) + exp(2 * root) + exp(0.5) + 5)
        XCTAssertEqual(sure.confidence ?? 0, expected, accuracy: 1e-9)
        let rules = analyser.classify(input(message), embedding: nil, embeddingsModel: Self.model)
        XCTAssertEqual(rules.method, .rules)
        XCTAssertNil(rules.confidence)
    }

    func testTheClassifierCanAlsoSayNone() {
        let message = "I'll think about it and get back to you"
        let (output, method) = analyser.analyse(input(message), embedding: neutral, embeddingsModel: Self.model)
        XCTAssertEqual(method, .combined)
        XCTAssertEqual(output, .none)
    }

    func testTheClassifiersChoiceIsLimitedToEnabledTypes() {
        let enabled = HintType.allCases.filter { $0 != .escalationNeeded }
        let (output, method) = analyser.analyse(input("hello there", enabled: enabled), embedding: escalation, embeddingsModel: Self.model)
        XCTAssertEqual(method, .combined)
        XCTAssertEqual(output.hintType, .objection, "the next best enabled class")
    }

    func testNoEnabledTypesIsNoHintByRules() {
        let (output, method) = analyser.analyse(input("I want to speak to a manager", enabled: []), embedding: escalation,
                                                embeddingsModel: Self.model)
        XCTAssertEqual(output, .none)
        XCTAssertEqual(method, .rules)
    }

    // MARK: falling back to rules

    private let messages = [
        "I'll think about it and get back to you",
        "quero falar com o gerente agora",
        "me manda o link de pagamento",
        "obrigado!",
    ]

    func testAnotherEmbeddingModelFallsBackToTheRulesOwnAnswer() {
        for message in messages {
            let (output, method) = analyser.analyse(input(message), embedding: escalation, embeddingsModel: "text-embedding-3-small")
            XCTAssertEqual(method, .rules, message)
            XCTAssertEqual(output, LocalAnalyser().analyse(input(message)), message)
            XCTAssertEqual(output, analyser.analyse(input(message)), message)
        }
    }

    func testAnotherDimensionFallsBackToTheRulesOwnAnswer() throws {
        let wider = try XCTUnwrap(Embedding([0, 1, 0, 0]))
        for message in messages {
            let (output, method) = analyser.analyse(input(message), embedding: wider, embeddingsModel: Self.model)
            XCTAssertEqual(method, .rules, message)
            XCTAssertEqual(output, LocalAnalyser().analyse(input(message)), message)
        }
    }

    func testNoEmbeddingOrNoModelOrNoClassifierIsRules() {
        let message = "I'll think about it and get back to you"
        let rules = LocalAnalyser().analyse(input(message))
        XCTAssertEqual(rules.hintType, .objection)

        let withoutEmbedding = analyser.analyse(input(message), embedding: nil, embeddingsModel: Self.model)
        XCTAssertEqual(withoutEmbedding.method, .rules)
        XCTAssertEqual(withoutEmbedding.output, rules)

        let withoutModel = analyser.analyse(input(message), embedding: escalation, embeddingsModel: nil)
        XCTAssertEqual(withoutModel.method, .rules)
        XCTAssertEqual(withoutModel.output, rules)

        let withoutClassifier = LocalAnalyser().analyse(input(message), embedding: escalation, embeddingsModel: Self.model)
        XCTAssertEqual(withoutClassifier.method, .rules)
        XCTAssertEqual(withoutClassifier.output, rules)
    }

    func testTheEmbeddingTextIsTheNonEmptyMessagesOnePerLine() {
        let burst = AnalysisInput(context: [], messages: ["oi", "", "quanto custa?"], enabledTypes: HintType.allCases, language: "pt-BR")
        XCTAssertEqual(LocalAnalyser.embeddingText(burst), "oi\nquanto custa?")
    }

    // MARK: evaluation modes

    private let evaluation = LocalAnalyserEvaluation(examples: [
        .init(id: 1, language: "en", text: "how do I pay?", label: .question),
        .init(id: 2, language: "en", text: "thanks!", label: nil),
        .init(id: 3, language: "pt-BR", text: "quero falar com o gerente agora", label: .escalationNeeded),
    ])

    private var evaluationEmbeddings: [Embedding] { [buying, escalation, escalation] }

    func testEvaluationRulesModeIsThePlainRun() throws {
        let report = try XCTUnwrap(evaluation.run(.rules, analyser: analyser, embeddings: nil, embeddingsModel: nil))
        XCTAssertEqual(report.predictions, evaluation.run(with: LocalAnalyser()).predictions)
    }

    func testEvaluationEmbeddingModeUsesTheEmbeddingOnlyModel() throws {
        let report = try XCTUnwrap(evaluation.run(.embedding, analyser: analyser, embeddings: evaluationEmbeddings, embeddingsModel: Self.model))
        // embeddingOnly: first component → question, second → none.
        XCTAssertEqual(report.predictions.map(\.predicted), [.question, nil, nil])
    }

    func testEvaluationCombinedModeRunsTheAnalyserWithEachEmbedding() throws {
        let report = try XCTUnwrap(evaluation.run(.combined, analyser: analyser, embeddings: evaluationEmbeddings, embeddingsModel: Self.model))
        XCTAssertEqual(report.predictions.map(\.predicted), [.buyingSignal, .escalationNeeded, .escalationNeeded])
        XCTAssertEqual(report.predictions.filter(\.isCorrect).count, 1)
    }

    func testEvaluationWithoutUsableEmbeddingsHasNoReport() {
        XCTAssertNil(evaluation.run(.combined, analyser: analyser, embeddings: nil, embeddingsModel: Self.model))
        XCTAssertNil(evaluation.run(.combined, analyser: analyser, embeddings: evaluationEmbeddings, embeddingsModel: "other-model"))
        XCTAssertNil(evaluation.run(.embedding, analyser: analyser, embeddings: Array(evaluationEmbeddings.prefix(2)), embeddingsModel: Self.model))
        XCTAssertNil(evaluation.run(.combined, analyser: LocalAnalyser(), embeddings: evaluationEmbeddings, embeddingsModel: Self.model))
    }

    func testTrainingExamplesCarryTheLabelRowAndBothFeatureSets() {
        let (combined, embeddingOnly) = evaluation.trainingExamples(embeddings: evaluationEmbeddings)
        XCTAssertEqual(combined.map(\.label), [Self.row[.question]!, 7, Self.row[.escalationNeeded]!])
        XCTAssertEqual(embeddingOnly.map(\.label), combined.map(\.label))
        XCTAssertEqual(combined.map(\.features.count), [Int](repeating: SituationFeatures.ruleCount + Self.dimensions, count: 3))
        XCTAssertEqual(embeddingOnly.map(\.features.count), [3, 3, 3])
        // The rules' reading is in the combined features: the manager message's rule decision is escalation.
        let escalationColumn = HintType.allCases.count + Self.row[.escalationNeeded]!
        XCTAssertEqual(combined[2].features[escalationColumn], 1)
        XCTAssertEqual(combined[1].features[HintType.allCases.count + 7], 1, "thanks!: the rules decide none")
        XCTAssertEqual(embeddingOnly[0].features, SituationFeatures(embedding: buying).values)
    }
}
