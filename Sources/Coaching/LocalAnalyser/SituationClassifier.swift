import Foundation
import JSON

/// A multinomial logistic regression over `SituationFeatures` that picks the situation of a
/// customer message (one of the seven types, or none). The weights are trained offline by
/// `coaching train-local` from labelled JSONL and committed as a small JSON file
/// (`analyser/situation-classifier.json`), so the service starts without training and every host
/// decides alike.
///
/// It holds two models: `combined` (rule features + embedding), which the analyser uses, and
/// `embeddingOnly`, kept to show in `coaching evaluate-local` what the embedding contributes. Both
/// are tied to the embedding model they were trained with: a server that answers with another model
/// or another dimension makes the analyser fall back to its rules (a retrain fixes it).
public struct SituationClassifier: Sendable, Equatable {
    public struct Model: Sendable, Equatable {
        /// One row per class (`SituationFeatures.classes` order), one column per feature.
        public let weights: [[Double]]
        public let bias: [Double]

        public init(weights: [[Double]], bias: [Double]) {
            self.weights = weights
            self.bias = bias
        }

        public var featureCount: Int { weights.first?.count ?? 0 }

        /// Softmax probabilities per class.
        public func probabilities(_ features: [Double]) -> [Double] {
            var logits = bias
            for (row, classWeights) in weights.enumerated() {
                var sum = 0.0
                for index in 0..<min(features.count, classWeights.count) { sum += classWeights[index] * features[index] }
                logits[row] += sum
            }
            let top = logits.max() ?? 0
            let exps = logits.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }
    }

    public enum LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        case unreadable(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unreadable(let detail): return "cannot read the classifier file (\(detail))"
            case .invalid(let detail): return "classifier file is invalid: \(detail)"
            }
        }
    }

    public static let formatVersion = 1

    /// The embedding model the weights were trained with, as the embeddings server named it.
    public let embeddingsModel: String
    public let dimensions: Int
    public let combined: Model
    public let embeddingOnly: Model
    /// What it was trained on and how it scored in cross-validation (shown by `evaluate-local`).
    public let provenance: JSONValue

    public init(embeddingsModel: String, dimensions: Int, combined: Model, embeddingOnly: Model, provenance: JSONValue = .object([])) {
        self.embeddingsModel = embeddingsModel
        self.dimensions = dimensions
        self.combined = combined
        self.embeddingOnly = embeddingOnly
        self.provenance = provenance
    }

    /// Whether an embedding from `model` with `dimensions` values can be read by these weights.
    public func accepts(model: String, dimensions: Int) -> Bool {
        dimensions == self.dimensions && model == embeddingsModel
    }

    /// The most probable class among `enabled` types and none.
    public func decide(_ model: Model, features: SituationFeatures, enabled: [HintType]) -> HintType? {
        decision(model, features: features, enabled: enabled).type
    }

    /// The most probable class among `enabled` types and none, with its probability: how sure the
    /// classifier is, which decides whether a situation may be answered without the LLM.
    public func decision(_ model: Model, features: SituationFeatures, enabled: [HintType]) -> (type: HintType?, probability: Double) {
        let probabilities = model.probabilities(features.values)
        var best: (type: HintType?, probability: Double)?
        for (row, candidate) in SituationFeatures.classes.enumerated() {
            if let type = candidate, !enabled.contains(type) { continue }
            if best == nil || probabilities[row] > best!.probability { best = (candidate, probabilities[row]) }
        }
        return best ?? (nil, 0)
    }

    // MARK: file

    public static func load(path: String) throws(LoadError) -> SituationClassifier {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(error.localizedDescription)
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse([UInt8](data), maxDepth: 8)
        } catch {
            throw .invalid("not JSON (\(error.message))")
        }
        return try decode(document)
    }

    public static func decode(_ document: JSONValue) throws(LoadError) -> SituationClassifier {
        guard document["format"]?.intValue == formatVersion else { throw .invalid("format must be \(formatVersion)") }
        guard let model = document["embeddings_model"]?.stringValue, !model.isEmpty else { throw .invalid("embeddings_model missing") }
        guard let dimensions = document["dimensions"]?.intValue, dimensions > 0 else { throw .invalid("dimensions missing") }
        let classes = document["classes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard classes == SituationFeatures.classes.map({ $0?.rawValue ?? "none" }) else {
            throw .invalid("classes must be the seven hint types then none, in order")
        }
        func read(_ name: String, features: Int) throws(LoadError) -> Model {
            guard let node = document["models"]?[name] else { throw .invalid("model \(name) missing") }
            let rows = node["weights"]?.arrayValue ?? []
            let bias = (node["bias"]?.arrayValue ?? []).compactMap(\.doubleValue)
            guard rows.count == classes.count, bias.count == classes.count else { throw .invalid("\(name): one row per class") }
            var weights: [[Double]] = []
            for row in rows {
                let values = (row.arrayValue ?? []).compactMap(\.doubleValue)
                guard values.count == features, values.allSatisfy(\.isFinite) else {
                    throw .invalid("\(name): every row needs \(features) finite weights")
                }
                weights.append(values)
            }
            return Model(weights: weights, bias: bias)
        }
        return SituationClassifier(
            embeddingsModel: model, dimensions: dimensions,
            combined: try read("combined", features: SituationFeatures.ruleCount + dimensions),
            embeddingOnly: try read("embedding", features: dimensions),
            provenance: document["trained"] ?? .object([]))
    }

    public var json: JSONValue {
        func model(_ model: Model) -> JSONValue {
            .object([
                ("bias", .array(model.bias.map { .double(Self.rounded($0)) })),
                ("weights", .array(model.weights.map { .array($0.map { .double(Self.rounded($0)) }) })),
            ])
        }
        return .object([
            ("format", .int(Self.formatVersion)),
            ("embeddings_model", .string(embeddingsModel)),
            ("dimensions", .int(dimensions)),
            ("classes", .array(SituationFeatures.classes.map { .string($0?.rawValue ?? "none") })),
            ("trained", provenance),
            ("models", .object([("combined", model(combined)), ("embedding", model(embeddingOnly))])),
        ])
    }

    /// Five significant decimals keep the file small and change no decision.
    private static func rounded(_ value: Double) -> Double { (value * 100_000).rounded() / 100_000 }
}
