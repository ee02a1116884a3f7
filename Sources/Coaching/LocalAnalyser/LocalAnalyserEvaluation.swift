import Foundation
import JSON

/// Measures the local analyser on a labelled set of customer messages (JSON Lines, one
/// `{"id":N,"lang":"pt-BR"|"en","text":"…","label":"objection"|…|"none"}` per line), with every
/// hint type enabled. "none" is the negative class: a hint on a "none" message is a false positive
/// for the predicted type, and a missed situation is a false negative for its type.
public struct LocalAnalyserEvaluation: Sendable {
    public struct Example: Sendable, Equatable {
        public let id: Int
        public let language: String
        public let text: String
        /// `nil` for messages with no situation ("none").
        public let label: HintType?

        public init(id: Int, language: String, text: String, label: HintType?) {
            self.id = id
            self.language = language
            self.text = text
            self.label = label
        }
    }

    public struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line number, 0 when the file itself could not be read.
        public let line: Int
        public let reason: String

        public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
    }

    public static let noneLabel = "none"

    public let examples: [Example]

    public init(examples: [Example]) {
        self.examples = examples
    }

    /// Reads and parses a JSONL file.
    public static func load(path: String) throws(LoadError) -> LocalAnalyserEvaluation {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(line: 0, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return LocalAnalyserEvaluation(examples: try parse(jsonl: text))
    }

    /// Parses JSON Lines; blank lines are skipped, anything else must be a valid example.
    public static func parse(jsonl: String) throws(LoadError) -> [Example] {
        var examples: [Example] = []
        var ids: Set<Int> = []
        for (offset, rawLine) in jsonl.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let trimmed = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do {
                value = try JSONParser.parse(trimmed, maxDepth: 4)
            } catch {
                throw LoadError(line: line, reason: "invalid JSON (\(error.message))")
            }
            guard let id = value["id"]?.intValue else { throw LoadError(line: line, reason: "id missing or not an integer") }
            guard ids.insert(id).inserted else { throw LoadError(line: line, reason: "duplicate id \(id)") }
            guard let language = value["lang"]?.stringValue, !language.isEmpty else {
                throw LoadError(line: line, reason: "lang missing")
            }
            guard let text = value["text"]?.stringValue, !text.isEmpty else { throw LoadError(line: line, reason: "text missing") }
            guard let labelName = value["label"]?.stringValue else { throw LoadError(line: line, reason: "label missing") }
            let label: HintType?
            if labelName == noneLabel {
                label = nil
            } else if let type = HintType(rawValue: labelName) {
                label = type
            } else {
                throw LoadError(line: line, reason: "unknown label \"\(labelName)\"")
            }
            examples.append(Example(id: id, language: language, text: text, label: label))
        }
        return examples
    }

    /// Which part of the analyser decides.
    public enum Mode: String, Sendable, CaseIterable {
        /// The phrase rules alone (what runs without embeddings).
        case rules
        /// The classifier's embedding-only model: what the embedding alone knows.
        case embedding
        /// Rules and embedding through the classifier: what the service runs with embeddings on.
        case combined
    }

    /// Runs the analyser on every example with all types enabled and scores the predictions.
    public func run(with analyser: LocalAnalyser = LocalAnalyser()) -> Report {
        Report(predictions: examples.map { example in
            let output = analyser.analyse(Self.input(example))
            return Prediction(example: example, predicted: output.hasHint ? output.hintType : nil)
        })
    }

    /// `embeddings` holds one embedding per example (from `embeddingsModel`); the embedding and
    /// combined modes need them and the analyser's classifier, and are nil without them.
    public func run(_ mode: Mode, analyser: LocalAnalyser, embeddings: [Embedding]?, embeddingsModel: String?) -> Report? {
        if mode == .rules { return run(with: analyser) }
        guard let classifier = analyser.classifier, let embeddings, let embeddingsModel, embeddings.count == examples.count,
              let first = embeddings.first, classifier.accepts(model: embeddingsModel, dimensions: first.dimensions) else { return nil }
        return Report(predictions: zip(examples, embeddings).map { example, embedding in
            let predicted: HintType?
            switch mode {
            case .embedding:
                predicted = classifier.decide(classifier.embeddingOnly, features: SituationFeatures(embedding: embedding),
                                              enabled: HintType.allCases)
            default:
                let result = analyser.classify(Self.input(example), embedding: embedding, embeddingsModel: embeddingsModel)
                return Prediction(example: example, predicted: result.output.hasHint ? result.output.hintType : nil,
                                  confidence: result.confidence)
            }
            return Prediction(example: example, predicted: predicted)
        })
    }

    /// The examples as the classifier's training rows: (combined features, embedding-only features).
    public func trainingExamples(embeddings: [Embedding], analyser: LocalAnalyser = LocalAnalyser())
        -> (combined: [ClassifierTrainer.Example], embedding: [ClassifierTrainer.Example]) {
        var combined: [ClassifierTrainer.Example] = []
        var embeddingOnly: [ClassifierTrainer.Example] = []
        for (example, embedding) in zip(examples, embeddings) {
            let label = SituationFeatures.classes.firstIndex(of: example.label) ?? SituationFeatures.classes.count - 1
            let reading = analyser.rules(Self.input(example))
            combined.append(.init(features: SituationFeatures(rules: reading, embedding: embedding).values, label: label))
            embeddingOnly.append(.init(features: SituationFeatures(embedding: embedding).values, label: label))
        }
        return (combined, embeddingOnly)
    }

    static func input(_ example: Example) -> AnalysisInput {
        AnalysisInput(context: [], messages: [example.text], enabledTypes: HintType.allCases, language: example.language)
    }

    /// One example with what the analyser answered.
    public struct Prediction: Sendable, Equatable {
        public let example: Example
        public let predicted: HintType?
        /// The classifier's probability for `predicted` (combined mode only).
        public let confidence: Double?

        public init(example: Example, predicted: HintType?, confidence: Double? = nil) {
            self.example = example
            self.predicted = predicted
            self.confidence = confidence
        }

        public var isCorrect: Bool { example.label == predicted }
    }
}
