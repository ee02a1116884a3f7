import Foundation

/// Fits `SituationClassifier.Model`s: multinomial logistic regression with an L2 penalty and
/// class-balanced example weights (so the large "none" class does not drown the seven types),
/// full-batch gradient descent with Adam from zero weights. Deterministic: the same examples give
/// the same weights. The penalty is chosen by k-fold cross-validation on the training examples
/// only (the holdout files are never passed in).
public struct ClassifierTrainer: Sendable {
    public struct Example: Sendable {
        public let features: [Double]
        /// Row in `SituationFeatures.classes`.
        public let label: Int

        public init(features: [Double], label: Int) {
            self.features = features
            self.label = label
        }
    }

    public var epochs = 300
    public var learningRate = 0.05
    public var penalties = [1e-4, 1e-3, 1e-2]
    public var folds = 5

    public init() {}

    /// What cross-validation found: the penalty with the best macro-F1, every penalty's score, and
    /// each example's out-of-fold prediction at that penalty (the class and its probability, from a
    /// model that never saw the example), which calibrates how far a confidence can be trusted.
    public struct CrossValidation: Sendable {
        public let penalty: Double
        public let scores: [(Double, Double)]
        public let heldOut: [(predicted: Int, probability: Double)]
    }

    public func choosePenalty(_ examples: [Example]) -> CrossValidation {
        let order = Self.interleavedFolds(labels: examples.map(\.label), folds: folds)
        var scores: [(Double, Double)] = []
        var best: (penalty: Double, score: Double, heldOut: [(predicted: Int, probability: Double)])?
        for penalty in penalties {
            var heldOut = [(predicted: Int, probability: Double)](repeating: (0, 0), count: examples.count)
            for fold in 0..<folds {
                let training = examples.indices.filter { order[$0] != fold }.map { examples[$0] }
                let model = fit(training, penalty: penalty)
                for index in examples.indices where order[index] == fold {
                    let probabilities = model.probabilities(examples[index].features)
                    let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
                    heldOut[index] = (top, probabilities.isEmpty ? 0 : probabilities[top])
                }
            }
            let score = Self.macroF1(labels: examples.map(\.label), predicted: heldOut.map(\.predicted))
            scores.append((penalty, score))
            if best == nil || score > best!.score { best = (penalty, score, heldOut) }
        }
        return CrossValidation(penalty: best?.penalty ?? penalties[0], scores: scores, heldOut: best?.heldOut ?? [])
    }

    public func fit(_ examples: [Example], penalty: Double) -> SituationClassifier.Model {
        let classes = SituationFeatures.classes.count
        guard let featureCount = examples.first?.features.count, featureCount > 0 else {
            return SituationClassifier.Model(weights: Array(repeating: [], count: classes), bias: Array(repeating: 0, count: classes))
        }
        let rows = examples.count
        var counts = [Double](repeating: 0, count: classes)
        for example in examples { counts[example.label] += 1 }
        let exampleWeight = examples.map { Double(rows) / (Double(classes) * max(counts[$0.label], 1)) }
        let totalWeight = exampleWeight.reduce(0, +)
        let x = examples.flatMap(\.features)
        let width = featureCount + 1 // the last column is the bias
        var w = [Double](repeating: 0, count: classes * width)
        var m = w, v = w, gradient = w
        let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
        var probabilities = [Double](repeating: 0, count: classes)
        for step in 1...epochs {
            for index in gradient.indices { gradient[index] = 0 }
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { w in
                    gradient.withUnsafeMutableBufferPointer { gradient in
                        for row in 0..<rows {
                            let base = row * featureCount
                            var top = -Double.infinity
                            for c in 0..<classes {
                                var sum = w[c * width + featureCount]
                                let offset = c * width
                                for f in 0..<featureCount { sum += w[offset + f] * x[base + f] }
                                probabilities[c] = sum
                                top = max(top, sum)
                            }
                            var total = 0.0
                            for c in 0..<classes { probabilities[c] = exp(probabilities[c] - top); total += probabilities[c] }
                            let label = examples[row].label
                            let scale = exampleWeight[row] / totalWeight
                            for c in 0..<classes {
                                let error = (probabilities[c] / total - (c == label ? 1 : 0)) * scale
                                let offset = c * width
                                for f in 0..<featureCount { gradient[offset + f] += error * x[base + f] }
                                gradient[offset + featureCount] += error
                            }
                        }
                    }
                }
            }
            for c in 0..<classes {
                for f in 0..<featureCount { gradient[c * width + f] += penalty * w[c * width + f] }
            }
            let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
            for index in w.indices {
                m[index] = beta1 * m[index] + (1 - beta1) * gradient[index]
                v[index] = beta2 * v[index] + (1 - beta2) * gradient[index] * gradient[index]
                w[index] -= learningRate * (m[index] / correction1) / ((v[index] / correction2).squareRoot() + epsilon)
            }
        }
        let weights = (0..<classes).map { Array(w[($0 * width)..<($0 * width + featureCount)]) }
        let bias = (0..<classes).map { w[$0 * width + featureCount] }
        return SituationClassifier.Model(weights: weights, bias: bias)
    }

    /// Fold of each example: round-robin within each class, so every fold has every class.
    static func interleavedFolds(labels: [Int], folds: Int) -> [Int] {
        var seen: [Int: Int] = [:]
        return labels.map { label in
            let position = seen[label, default: 0]
            seen[label] = position + 1
            return position % max(folds, 1)
        }
    }

    /// Macro-F1 over the seven types, "none" (the last class) being the negative class, as
    /// `LocalAnalyserEvaluation` scores it.
    static func macroF1(labels: [Int], predicted: [Int]) -> Double {
        let none = SituationFeatures.classes.count - 1
        var total = 0.0
        for type in 0..<none {
            var truePositives = 0.0, falsePositives = 0.0, falseNegatives = 0.0
            for (label, guess) in zip(labels, predicted) {
                if guess == type && label == type { truePositives += 1 }
                else if guess == type { falsePositives += 1 }
                else if label == type { falseNegatives += 1 }
            }
            let precision = truePositives + falsePositives > 0 ? truePositives / (truePositives + falsePositives) : 0
            let recall = truePositives + falseNegatives > 0 ? truePositives / (truePositives + falseNegatives) : 0
            total += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        }
        return total / Double(none)
    }
}
