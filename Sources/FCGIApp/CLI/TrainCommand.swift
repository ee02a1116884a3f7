import ArgumentParser
import Coaching
import Foundation
import JSON

/// `coaching train-local`: fits the local analyser's situation classifier on labelled JSONL files,
/// with embeddings from the configured server, and writes the weights file the service loads.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-local",
        abstract: "Train the local analyser's classifier (rules + embeddings) on labelled JSONL and write its weights."
    )

    @Option(name: .customLong("file"), help: "Labelled training set (repeatable). Files named *holdout* are refused.")
    var files: [String] = ["eval/local-analyser.jsonl", "eval/train/local-analyser-train-pt.jsonl",
                           "eval/train/local-analyser-train-en.jsonl"]

    @Option(help: "Where to write the weights.")
    var output: String = "analyser/situation-classifier.json"

    @Option(help: "Gradient steps per fit.")
    var epochs = 300

    @Option(help: "Cross-validated precision the suggested local_answer_min_confidence must reach.")
    var localAnswerPrecision = 0.95

    @OptionGroup var embeddings: EmbeddingOptions

    func run() throws {
        if let holdout = files.first(where: { URL(fileURLWithPath: $0).lastPathComponent.contains("holdout") }) {
            throw ValidationError("\(holdout): holdout sets measure the classifier and are never trained on")
        }
        var examples: [LocalAnalyserEvaluation.Example] = []
        for file in files {
            do {
                examples += try LocalAnalyserEvaluation.load(path: file).examples
            } catch {
                throw ValidationError("\(file): \(error.description)")
            }
        }
        let set = LocalAnalyserEvaluation(examples: examples)
        guard let (vectors, model) = try embeddings.embedAll(examples.map(\.text), label: "embedding \(examples.count) examples") else {
            throw ValidationError("no embeddings server: pass --embeddings-url or set COACHING_EMBEDDINGS_URL")
        }
        let rows = set.trainingExamples(embeddings: vectors)
        var trainer = ClassifierTrainer()
        trainer.epochs = epochs
        FileHandle.standardError.write(Data("cross-validating the penalty (\(trainer.folds) folds)…\n".utf8))
        let validation = trainer.choosePenalty(rows.combined)
        let (penalty, scores) = (validation.penalty, validation.scores)
        let embeddingValidation = trainer.choosePenalty(rows.embedding)
        let (embeddingPenalty, embeddingScores) = (embeddingValidation.penalty, embeddingValidation.scores)
        let classes = SituationFeatures.classes
        let heldOut = zip(rows.combined, validation.heldOut).map { row, guess in
            (label: classes[row.label], predicted: classes[guess.predicted], confidence: Optional(guess.probability))
        }
        let suggested = ConfidentAnswers.lowestThreshold(reaching: localAnswerPrecision, outcomes: heldOut)
        let classifier = SituationClassifier(
            embeddingsModel: model, dimensions: vectors.first?.dimensions ?? 0,
            combined: trainer.fit(rows.combined, penalty: penalty),
            embeddingOnly: trainer.fit(rows.embedding, penalty: embeddingPenalty),
            provenance: .object([
                ("files", .array(files.map { .string($0) })),
                ("examples", .int(examples.count)),
                ("epochs", .int(epochs)),
                ("penalty", .double(penalty)),
                ("cv_macro_f1_combined", .double(scores.first { $0.0 == penalty }?.1 ?? 0)),
                ("cv_macro_f1_embedding", .double(embeddingScores.first { $0.0 == embeddingPenalty }?.1 ?? 0)),
                ("cv_local_answer", .object([
                    ("target_precision", .double(localAnswerPrecision)),
                    ("min_confidence", suggested.map { .double($0.minConfidence) } ?? .null),
                    ("precision", suggested.map { .double(($0.precision * 1000).rounded() / 1000) } ?? .null),
                    ("coverage", suggested.map { .double(($0.coverage * 1000).rounded() / 1000) } ?? .null),
                ])),
            ]))
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((JSONWriter.string(classifier.json) + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        for (value, score) in scores { print(String(format: "combined  penalty %-7g cross-validated macro-F1 %.3f", value, score)) }
        for (value, score) in embeddingScores { print(String(format: "embedding penalty %-7g cross-validated macro-F1 %.3f", value, score)) }
        print("cross-validated situations answered without the LLM (combined, penalty \(penalty)):")
        for answers in ConfidentAnswers.table(heldOut) {
            print(String(format: "  confidence ≥ %.2f  answered %4d  precision %.3f  coverage %.3f",
                         answers.minConfidence, answers.answered, answers.precision, answers.coverage))
        }
        if let suggested {
            print(String(format: "local_answer_min_confidence for precision ≥ %.2f: %.2f (coverage %.3f)",
                         localAnswerPrecision, suggested.minConfidence, suggested.coverage))
        } else {
            print(String(format: "no confidence reaches precision %.2f in cross-validation", localAnswerPrecision))
        }
        print("wrote \(output): \(examples.count) examples, embeddings model \(model), \(classifier.dimensions) dimensions")
    }
}
