import Foundation

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

    /// Runs the analyser on every example with all types enabled and scores the predictions.
    public func run(with analyser: LocalAnalyser = LocalAnalyser()) -> Report {
        let predictions = examples.map { example -> Prediction in
            let input = AnalysisInput(context: [], messages: [example.text], enabledTypes: HintType.allCases, language: example.language)
            let output = analyser.analyse(input)
            return Prediction(example: example, predicted: output.hasHint ? output.hintType : nil)
        }
        return Report(predictions: predictions)
    }

    /// One example with what the analyser answered.
    public struct Prediction: Sendable, Equatable {
        public let example: Example
        public let predicted: HintType?

        public var isCorrect: Bool { example.label == predicted }
    }
}
