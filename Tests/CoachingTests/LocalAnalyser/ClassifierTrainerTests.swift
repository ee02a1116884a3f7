import XCTest
@testable import Coaching

final class ClassifierTrainerTests: XCTestCase {
    private static let classes = SituationFeatures.classes.count
    private static let dimensions = 6

    /// Eight well separated clusters in six dimensions, `perClass` points each, with uniform noise
    /// from a fixed-seed generator: the same call always gives the same examples.
    private static func clusters(perClass: Int = 20, noise: Double = 0.6, seed: UInt64 = 42) -> [ClassifierTrainer.Example] {
        var centers = [[Double]](repeating: [Double](repeating: 0, count: dimensions), count: classes)
        for c in 0..<dimensions { centers[c][c] = 3 }
        centers[6][0] = -3; centers[6][1] = -3
        centers[7][2] = -3; centers[7][3] = -3; centers[7][4] = -3
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        var examples: [ClassifierTrainer.Example] = []
        for index in 0..<(perClass * classes) {
            let label = index % classes
            examples.append(.init(features: centers[label].map { $0 + noise * uniform() }, label: label))
        }
        return examples
    }

    private var trainer: ClassifierTrainer {
        var trainer = ClassifierTrainer()
        trainer.epochs = 150
        trainer.folds = 4
        return trainer
    }

    private func predict(_ model: SituationClassifier.Model, _ features: [Double]) -> Int {
        let probabilities = model.probabilities(features)
        return probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    }

    private func accuracy(_ model: SituationClassifier.Model, _ examples: [ClassifierTrainer.Example]) -> Double {
        Double(examples.filter { predict(model, $0.features) == $0.label }.count) / Double(examples.count)
    }

    func testFitSeparatesClusteredClasses() {
        let examples = Self.clusters()
        let model = trainer.fit(examples, penalty: 1e-3)
        XCTAssertEqual(model.weights.count, Self.classes)
        XCTAssertEqual(model.bias.count, Self.classes)
        XCTAssertEqual(model.featureCount, Self.dimensions)
        XCTAssertGreaterThanOrEqual(accuracy(model, examples), 0.95)
        // And on fresh points from the same clusters.
        XCTAssertGreaterThanOrEqual(accuracy(model, Self.clusters(perClass: 10, seed: 7)), 0.95)
    }

    func testTwoFitsOfTheSameExamplesGiveIdenticalWeights() {
        let examples = Self.clusters()
        let first = trainer.fit(examples, penalty: 1e-3)
        let second = trainer.fit(examples, penalty: 1e-3)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first.weights[0], [Double](repeating: 0, count: Self.dimensions), "training moved the weights")
    }

    func testALargerPenaltyGivesSmallerWeights() {
        let examples = Self.clusters()
        func norm(_ model: SituationClassifier.Model) -> Double { model.weights.joined().reduce(0) { $0 + $1 * $1 } }
        let loose = trainer.fit(examples, penalty: 1e-4)
        let tight = trainer.fit(examples, penalty: 1.0)
        XCTAssertLessThan(norm(tight), norm(loose))
    }

    func testFitWithoutExamplesGivesAnEmptyModelWithOneBiasPerClass() {
        let model = trainer.fit([], penalty: 1e-3)
        XCTAssertEqual(model.bias, [Double](repeating: 0, count: Self.classes))
        XCTAssertEqual(model.weights.count, Self.classes)
        XCTAssertEqual(model.featureCount, 0)
    }

    func testClassWeightsKeepARareClassFromBeingDrowned() {
        // 3 examples of class 0 against 60 of "none" nearby: balanced weights still learn class 0.
        var examples = Self.clusters(perClass: 20).filter { $0.label == 7 || $0.label == 0 }
        var keptZero = 0
        examples = examples.filter { example in
            guard example.label == 0 else { return true }
            keptZero += 1
            return keptZero <= 3
        }
        examples += Self.clusters(perClass: 20, seed: 9).filter { $0.label == 7 }
        let model = trainer.fit(examples, penalty: 1e-3)
        let rare = examples.filter { $0.label == 0 }
        XCTAssertEqual(rare.count, 3)
        XCTAssertEqual(rare.filter { predict(model, $0.features) == 0 }.count, 3)
    }

    func testChoosePenaltyReturnsOneOfThePenaltiesWithScoresBetweenZeroAndOne() {
        var trainer = trainer
        trainer.penalties = [1e-4, 1e-2, 10]
        let validation = trainer.choosePenalty(Self.clusters())
        let (penalty, scores) = (validation.penalty, validation.scores)
        XCTAssertTrue(trainer.penalties.contains(penalty), "\(penalty)")
        XCTAssertEqual(scores.map(\.0), trainer.penalties, "one score per penalty, in order")
        for (_, score) in scores { XCTAssertTrue((0...1).contains(score), "\(score)") }
        let best = scores.first { $0.0 == penalty }!.1
        XCTAssertEqual(best, scores.map(\.1).max())
        XCTAssertGreaterThanOrEqual(best, 0.9, "clusters this clear cross-validate well: \(scores)")
    }

    func testCrossValidationKeepsEachExamplesOutOfFoldPrediction() {
        var trainer = trainer
        trainer.penalties = [1e-3]
        let examples = Self.clusters()
        let validation = trainer.choosePenalty(examples)
        XCTAssertEqual(validation.heldOut.count, examples.count)
        for guess in validation.heldOut {
            XCTAssertTrue((0..<SituationFeatures.classes.count).contains(guess.predicted))
            XCTAssertTrue(guess.probability > 1.0 / Double(SituationFeatures.classes.count) && guess.probability <= 1,
                          "the top class's probability: \(guess.probability)")
        }
        let right = zip(examples, validation.heldOut).filter { $0.label == $1.predicted }.count
        XCTAssertGreaterThanOrEqual(Double(right) / Double(examples.count), 0.9, "clear clusters are recognised out of fold")
    }

    func testChoosePenaltyIsDeterministic() {
        var trainer = trainer
        trainer.penalties = [1e-3, 1e-1]
        trainer.epochs = 60
        let examples = Self.clusters(perClass: 8)
        let first = trainer.choosePenalty(examples)
        let second = trainer.choosePenalty(examples)
        XCTAssertEqual(first.penalty, second.penalty)
        XCTAssertEqual(first.scores.map(\.1), second.scores.map(\.1))
    }

    func testFoldsAreRoundRobinWithinEachClass() {
        let folds = ClassifierTrainer.interleavedFolds(labels: [0, 0, 1, 0, 1, 0, 1, 1, 1], folds: 3)
        XCTAssertEqual(folds, [0, 1, 0, 2, 1, 0, 2, 0, 1])
    }

    func testMacroF1ScoresTheSevenTypesWithNoneAsNegative() {
        let labels = [0, 1, 2, 3, 4, 5, 6, 7]
        XCTAssertEqual(ClassifierTrainer.macroF1(labels: labels, predicted: labels), 1)
        XCTAssertEqual(ClassifierTrainer.macroF1(labels: labels, predicted: [Int](repeating: 7, count: 8)), 0)
        // One of the seven types missed (predicted none): that type's F1 is 0, the others' 1.
        XCTAssertEqual(ClassifierTrainer.macroF1(labels: labels, predicted: [7, 1, 2, 3, 4, 5, 6, 7]), 6.0 / 7.0, accuracy: 1e-12)
    }
}
