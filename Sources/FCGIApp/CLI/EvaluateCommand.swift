import ArgumentParser
import Coaching

/// `coaching evaluate-local`: runs the built-in local analyser over the labelled evaluation set and
/// prints per-type precision, recall and F1, macro-F1, accuracy and the confusion matrix.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-local",
        abstract: "Score the built-in local analyser on a labelled JSONL set (per-type precision/recall/F1, macro-F1)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "Labelled set, one {\"id\",\"lang\",\"text\",\"label\"} object per line.")
    var file: String = "eval/local-analyser.jsonl"

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Flag(help: "Also list the misclassified messages.")
    var showMisses = false

    @Option(help: "Exit with status 1 when macro-F1 is below this value (for CI).")
    var minMacroF1: Double?

    func run() throws {
        let evaluation: LocalAnalyserEvaluation
        do {
            evaluation = try LocalAnalyserEvaluation.load(path: file)
        } catch {
            throw ValidationError("\(file): \(error.description)")
        }
        guard !evaluation.examples.isEmpty else { throw ValidationError("\(file): no examples") }
        let report = evaluation.run()
        switch format {
        case .table:
            print(report.table(title: "Local analyser evaluation: \(file)", showMisses: showMisses))
        case .json:
            print(JSONWriter.string(report.json(includeMisses: showMisses)))
        }
        if let minMacroF1, report.macroF1 < minMacroF1 {
            throw ExitCode(1)
        }
    }
}
