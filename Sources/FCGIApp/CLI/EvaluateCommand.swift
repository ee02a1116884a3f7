import ArgumentParser
import Coaching
import Foundation
import JSON

/// `coaching evaluate-local`: runs the built-in local analyser over a labelled set and prints
/// per-type precision, recall and F1, macro-F1, accuracy and the confusion matrix — for the rules
/// alone, the embedding alone and the two combined (the last two need the embeddings server and
/// the trained classifier).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-local",
        abstract: "Score the local analyser on a labelled JSONL set: rules, embedding and combined (per-type P/R/F1, macro-F1)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(help: "Labelled set, one {\"id\",\"lang\",\"text\",\"label\"} object per line.")
    var file: String = "eval/local-analyser.jsonl"

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: "Which analysers: rules, embedding, combined (repeatable; default all that can run).")
    var mode: [LocalAnalyserEvaluation.Mode] = []

    @Flag(help: "Also list the misclassified messages.")
    var showMisses = false

    @Option(help: "Exit with status 1 when the macro-F1 of the last mode run is below this value (for CI).")
    var minMacroF1: Double?

    @OptionGroup var embeddings: EmbeddingOptions

    func run() throws {
        let evaluation: LocalAnalyserEvaluation
        do {
            evaluation = try LocalAnalyserEvaluation.load(path: file)
        } catch {
            throw ValidationError("\(file): \(error.description)")
        }
        guard !evaluation.examples.isEmpty else { throw ValidationError("\(file): no examples") }
        let wanted = mode.isEmpty ? LocalAnalyserEvaluation.Mode.allCases : mode
        var analyser = LocalAnalyser()
        var vectors: (embeddings: [Embedding], model: String)?
        if wanted != [.rules] {
            do {
                analyser = LocalAnalyser(classifier: try SituationClassifier.load(path: embeddings.classifierPath))
            } catch {
                if !mode.isEmpty { throw ValidationError("\(embeddings.classifierPath): \(error.description)") }
                FileHandle.standardError.write(Data("no classifier (\(embeddings.classifierPath): \(error.description)); rules only\n".utf8))
            }
            if analyser.classifier != nil {
                vectors = try embeddings.embedAll(evaluation.examples.map(\.text), label: "embedding \(evaluation.examples.count) messages")
                if vectors == nil {
                    if !mode.isEmpty { throw ValidationError("no embeddings server: pass --embeddings-url or set COACHING_EMBEDDINGS_URL") }
                    FileHandle.standardError.write(Data("no embeddings server configured; rules only\n".utf8))
                }
            }
        }
        var reports: [(LocalAnalyserEvaluation.Mode, LocalAnalyserEvaluation.Report)] = []
        for mode in wanted {
            guard let report = evaluation.run(mode, analyser: analyser, embeddings: vectors?.embeddings,
                                              embeddingsModel: vectors?.model) else {
                if !self.mode.isEmpty {
                    throw ValidationError("mode \(mode.rawValue): the classifier was trained with another embeddings model than \(vectors?.model ?? "?")")
                }
                continue
            }
            reports.append((mode, report))
        }
        switch format {
        case .table:
            for (mode, report) in reports {
                print(report.table(title: "Local analyser (\(mode.rawValue)) on \(file)", showMisses: showMisses))
                print()
            }
        case .json:
            print(JSONWriter.string(.object(reports.map { ($0.0.rawValue, $0.1.json(includeMisses: showMisses)) })))
        }
        if let minMacroF1, let last = reports.last, last.1.macroF1 < minMacroF1 {
            throw ExitCode(1)
        }
    }
}

extension LocalAnalyserEvaluation.Mode: ExpressibleByArgument {}
