import Foundation

extension ExperimentComparison {
    /// Metrics down, variants across: how `coaching experiments report` prints by default.
    public var table: String {
        var lines = ["Experiment \(definition.key) — \(definition.title)",
                     "status \(status.rawValue), control \(definition.control)"
                         + (state?.winner.map { ", winner \($0)" } ?? "")
                         + (since.map { ", hints since \($0)" } ?? "")]
        let header = ["metric"] + variants.map { $0.isControl ? "\($0.name) (control)" : $0.name }
        var rows: [[String]] = [header]
        for (label, value) in Self.metrics {
            rows.append([label] + variants.map { value($0) })
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        lines.append("")
        for row in rows {
            lines.append(row.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                           : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  "))
        }
        lines.append("")
        if let sampleRatio {
            lines.append(String(format: "sample ratio check: chi² %.3f, p = %.4g%@", sampleRatio.statistic, sampleRatio.pValue,
                                sampleRatio.mismatch ? " — MISMATCH: agents are not split as the weights say" : " (ok)"))
        }
        switch verdict {
        case .suggest(let winner): lines.append("suggested winner: \(winner)")
        case .insufficient(let reasons): lines.append("no winner yet: " + reasons.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    /// One row per variant with every metric as a column.
    public var csv: String {
        var lines = [(["experiment", "variant", "is_control"] + Self.metrics.map { Self.csvName($0.0) }).joined(separator: ",")]
        for variant in variants {
            let cells = [definition.key, variant.name, variant.isControl ? "1" : "0"]
                + Self.metrics.map { metric in
                    let text = metric.1(variant)
                    return CSVField.escape(text == "–" ? "" : text)
                }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }

    private static let metrics: [(String, @Sendable (Variant) -> String)] = [
        ("agents", { "\($0.agents)" }),
        ("hints", { "\($0.hints)" }),
        ("view rate", { percent($0.viewRate) }),
        ("feedback rate", { percent($0.feedbackRate) }),
        ("rated", { "\($0.helpful.rated)" }),
        ("helpful rate", { percent($0.helpful.clustered?.rate) }),
        ("helpful 95% CI (by agent)", { variant in
            guard let interval = variant.helpful.interval else { return "–" }
            return "\(percent(interval.lowerBound))–\(percent(interval.upperBound))"
        }),
        ("suggestion use rate", { percent($0.suggestionUseRate) }),
        ("no-hint rate", { percent($0.noHintRate) }),
        ("invalid output rate", { percent($0.invalidOutputRate) }),
        ("cost per hint (USD)", { $0.costPerHint.map { String(format: "%.6f", $0) } ?? "–" }),
        ("latency p50 (ms)", { $0.latencyP50.map { String(format: "%.0f", $0) } ?? "–" }),
        ("latency p95 (ms)", { $0.latencyP95.map { String(format: "%.0f", $0) } ?? "–" }),
        ("P(best)", { percent($0.probabilityOfBeingBest) }),
        ("P(beats control)", { percent($0.probabilityOfBeatingControl) }),
        ("coached conversations", { "\($0.outcomes.conversations)" }),
        ("conversion rate", { percent($0.outcomes.conversionRate) }),
        ("value per conversation", { $0.outcomes.valuePerConversation.map { String(format: "%.2f", $0) } ?? "–" }),
    ]

    private static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
    }

    private static func csvName(_ label: String) -> String {
        String(label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
