import JSON

/// The scores of one evaluation run: per-type precision, recall and F1 ("none" is the negative
/// class), macro-F1 over the seven types, accuracy over all messages, and the confusion matrix.
extension LocalAnalyserEvaluation {
    public struct TypeMetrics: Sendable, Equatable {
        public let type: HintType
        public let truePositives: Int
        public let falsePositives: Int
        public let falseNegatives: Int

        /// Messages labelled with this type.
        public var support: Int { truePositives + falseNegatives }
        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        public var f1: Double {
            let sum = precision + recall
            return sum > 0 ? 2 * precision * recall / sum : 0
        }
    }

    public struct Report: Sendable {
        public let predictions: [Prediction]
        public let perType: [TypeMetrics]
        /// Rows are labels, columns predictions, both in `Report.classes` order (the seven types, then none).
        public let confusion: [[Int]]

        public static let classes: [HintType?] = HintType.allCases.map { Optional($0) } + [nil]

        public init(predictions: [Prediction]) {
            self.predictions = predictions
            var matrix = Array(repeating: Array(repeating: 0, count: Self.classes.count), count: Self.classes.count)
            for prediction in predictions {
                matrix[Self.index(of: prediction.example.label)][Self.index(of: prediction.predicted)] += 1
            }
            confusion = matrix
            perType = HintType.allCases.map { type in
                let row = Self.index(of: type)
                let truePositives = matrix[row][row]
                let predictedAsType = matrix.reduce(0) { $0 + $1[row] }
                let labelledAsType = matrix[row].reduce(0, +)
                return TypeMetrics(type: type, truePositives: truePositives,
                                   falsePositives: predictedAsType - truePositives,
                                   falseNegatives: labelledAsType - truePositives)
            }
        }

        public var count: Int { predictions.count }
        public var macroF1: Double { perType.isEmpty ? 0 : perType.map(\.f1).reduce(0, +) / Double(perType.count) }
        public var macroPrecision: Double { perType.isEmpty ? 0 : perType.map(\.precision).reduce(0, +) / Double(perType.count) }
        public var macroRecall: Double { perType.isEmpty ? 0 : perType.map(\.recall).reduce(0, +) / Double(perType.count) }
        public var accuracy: Double { ratio(predictions.filter(\.isCorrect).count, predictions.count) }
        public var misses: [Prediction] { predictions.filter { !$0.isCorrect } }

        /// "none" messages that got a hint, over all "none" messages.
        public var falseAlarmRate: Double {
            let none = predictions.filter { $0.example.label == nil }
            return ratio(none.filter { $0.predicted != nil }.count, none.count)
        }

        /// The situations the classifier gives at least `minConfidence` (combined mode; empty otherwise).
        public func confidentAnswers(minConfidence: Double) -> ConfidentAnswers {
            ConfidentAnswers(minConfidence: minConfidence, outcomes: outcomes)
        }

        private var outcomes: [ConfidentAnswers.Outcome] { predictions.map { ($0.example.label, $0.predicted, $0.confidence) } }

        var hasConfidences: Bool { predictions.contains { $0.confidence != nil } }

        /// The same scores restricted to the messages of one language.
        public func restricted(toLanguage language: String) -> Report {
            Report(predictions: predictions.filter { $0.example.language == language })
        }

        public var languages: [String] {
            var seen: [String] = []
            for prediction in predictions where !seen.contains(prediction.example.language) {
                seen.append(prediction.example.language)
            }
            return seen.sorted()
        }

        static func index(of type: HintType?) -> Int {
            guard let type else { return classes.count - 1 }
            return HintType.allCases.firstIndex(of: type) ?? classes.count - 1
        }

        static func name(of type: HintType?) -> String { type?.rawValue ?? LocalAnalyserEvaluation.noneLabel }

        // MARK: Output

        /// A plain-text table for a terminal.
        public func table(title: String? = nil, showMisses: Bool = false) -> String {
            var lines: [String] = []
            if let title { lines.append(title) }
            let languageCounts = languages.map { language in
                "\(predictions.filter { $0.example.language == language }.count) \(language)"
            }
            lines.append("\(count) messages (\(languageCounts.joined(separator: ", "))), all types enabled")
            lines.append("")
            lines.append(row(["type", "support", "TP", "FP", "FN", "precision", "recall", "F1"], widths: Self.widths))
            lines.append(String(repeating: "-", count: Self.widths.reduce(0) { $0 + abs($1) + 2 }))
            for metrics in perType {
                lines.append(row([metrics.type.rawValue, "\(metrics.support)", "\(metrics.truePositives)",
                                  "\(metrics.falsePositives)", "\(metrics.falseNegatives)", format(metrics.precision),
                                  format(metrics.recall), format(metrics.f1)], widths: Self.widths))
            }
            lines.append(String(repeating: "-", count: Self.widths.reduce(0) { $0 + abs($1) + 2 }))
            lines.append(row(["macro (7 types)", "", "", "", "", format(macroPrecision), format(macroRecall), format(macroF1)],
                             widths: Self.widths))
            lines.append("")
            let noneCount = predictions.filter { $0.example.label == nil }.count
            lines.append("macro-F1 \(format(macroF1))   accuracy \(format(accuracy)) (\(count - misses.count)/\(count))   "
                         + "hints on \"none\" messages \(format(falseAlarmRate)) of \(noneCount)")
            if languages.count > 1 {
                for language in languages {
                    let subset = restricted(toLanguage: language)
                    lines.append("  \(language): macro-F1 \(format(subset.macroF1))   accuracy \(format(subset.accuracy)) (\(subset.count) messages)")
                }
            }
            lines.append("")
            lines.append("confusion (rows: label, columns: predicted)")
            let shortNames = Self.classes.map { Self.shortName($0) }
            let confusionWidths = [-20] + Array(repeating: 5, count: shortNames.count)
            lines.append(row([""] + shortNames, widths: confusionWidths))
            for (rowIndex, label) in Self.classes.enumerated() {
                lines.append(row([Self.name(of: label)] + confusion[rowIndex].map { "\($0)" }, widths: confusionWidths))
            }
            let confusions = topConfusions(limit: 8)
            if !confusions.isEmpty {
                lines.append("")
                lines.append("most frequent confusions: " + confusions.map { "\(Self.name(of: $0.label)) → \(Self.name(of: $0.predicted)) ×\($0.count)" }.joined(separator: ", "))
            }
            if hasConfidences {
                lines.append("")
                lines.append("situations answered without the LLM at local_answer_min_confidence:")
                let widths = [10, 8, 7, 7, 9, 8]
                lines.append(row(["confidence", "answered", "correct", "on none", "precision", "coverage"], widths: widths))
                for answers in ConfidentAnswers.table(outcomes) {
                    lines.append(row([format(answers.minConfidence), "\(answers.answered)", "\(answers.correct)", "\(answers.onNone)",
                                      format(answers.precision), format(answers.coverage)], widths: widths))
                }
            }
            if showMisses && !misses.isEmpty {
                lines.append("")
                lines.append("misclassified messages:")
                for miss in misses {
                    lines.append("  #\(miss.example.id) [\(miss.example.language)] \(Self.name(of: miss.example.label)) → \(Self.name(of: miss.predicted)): \(miss.example.text)")
                }
            }
            return lines.joined(separator: "\n")
        }

        /// The off-diagonal cells of the confusion matrix, largest first.
        public func topConfusions(limit: Int) -> [(label: HintType?, predicted: HintType?, count: Int)] {
            var cells: [(label: HintType?, predicted: HintType?, count: Int)] = []
            for (rowIndex, label) in Self.classes.enumerated() {
                for (columnIndex, predicted) in Self.classes.enumerated() where rowIndex != columnIndex && confusion[rowIndex][columnIndex] > 0 {
                    cells.append((label, predicted, confusion[rowIndex][columnIndex]))
                }
            }
            cells.sort { $0.count != $1.count ? $0.count > $1.count : Self.index(of: $0.label) * 10 + Self.index(of: $0.predicted) < Self.index(of: $1.label) * 10 + Self.index(of: $1.predicted) }
            return Array(cells.prefix(limit))
        }

        /// The same figures as a JSON document.
        public func json(includeMisses: Bool = false) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("messages", .int(count)),
                ("macro_f1", .double(rounded(macroF1))),
                ("macro_precision", .double(rounded(macroPrecision))),
                ("macro_recall", .double(rounded(macroRecall))),
                ("accuracy", .double(rounded(accuracy))),
                ("none_false_alarm_rate", .double(rounded(falseAlarmRate))),
                ("per_type", .array(perType.map { metrics in
                    .object([
                        ("type", .string(metrics.type.rawValue)),
                        ("support", .int(metrics.support)),
                        ("true_positives", .int(metrics.truePositives)),
                        ("false_positives", .int(metrics.falsePositives)),
                        ("false_negatives", .int(metrics.falseNegatives)),
                        ("precision", .double(rounded(metrics.precision))),
                        ("recall", .double(rounded(metrics.recall))),
                        ("f1", .double(rounded(metrics.f1))),
                    ])
                })),
                ("by_language", .object(languages.map { language in
                    let subset = restricted(toLanguage: language)
                    return (language, .object([
                        ("messages", .int(subset.count)),
                        ("macro_f1", .double(rounded(subset.macroF1))),
                        ("accuracy", .double(rounded(subset.accuracy))),
                    ]))
                })),
                ("confusion", .object([
                    ("classes", .array(Self.classes.map { .string(Self.name(of: $0)) })),
                    ("rows_label_columns_predicted", .array(confusion.map { .array($0.map { .int($0) }) })),
                ])),
            ]
            if hasConfidences {
                members.append(("confident_answers", .array(ConfidentAnswers.table(outcomes).map { answers in
                    .object([
                        ("min_confidence", .double(answers.minConfidence)),
                        ("answered", .int(answers.answered)),
                        ("correct", .int(answers.correct)),
                        ("on_none", .int(answers.onNone)),
                        ("precision", .double(rounded(answers.precision))),
                        ("coverage", .double(rounded(answers.coverage))),
                    ])
                })))
            }
            if includeMisses {
                members.append(("misses", .array(misses.map { miss in
                    .object([
                        ("id", .int(miss.example.id)),
                        ("lang", .string(miss.example.language)),
                        ("label", .string(Self.name(of: miss.example.label))),
                        ("predicted", .string(Self.name(of: miss.predicted))),
                        ("text", .string(miss.example.text)),
                    ])
                })))
            }
            return .object(members)
        }

        private static let widths = [-20, 7, 4, 4, 4, 9, 7, 6]

        private static func shortName(_ type: HintType?) -> String {
            switch type {
            case .objection: return "obj"
            case .opportunity: return "opp"
            case .question: return "que"
            case .negativeSentiment: return "neg"
            case .buyingSignal: return "buy"
            case .closingOpportunity: return "clo"
            case .escalationNeeded: return "esc"
            case nil: return "none"
            }
        }

        /// Columns padded to `widths` (negative: left-aligned).
        private func row(_ cells: [String], widths: [Int]) -> String {
            var line = ""
            for (index, cell) in cells.enumerated() {
                let width = index < widths.count ? widths[index] : 0
                let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
                line += width < 0 ? cell + padding : padding + cell
                if index < cells.count - 1 { line += "  " }
            }
            return line
        }

        private func format(_ value: Double) -> String {
            let thousandths = Int((value * 1000).rounded())
            let fraction = String(thousandths % 1000)
            return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        }

        private func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
    }
}

private func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator > 0 ? Double(numerator) / Double(denominator) : 0
}
