import ArgumentParser
import Coaching
import Foundation

/// `coaching evaluate-similarity`: hit rate and false-hit rate of the similarity cache's cosine
/// rule on a labelled paraphrase set, for a range of thresholds.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-similarity",
        abstract: "Hit and false-hit rates of the embedding similarity cache on a labelled paraphrase set."
    )

    @Option(help: "Paraphrase set, one {\"group\",\"lang\",\"text\",\"label\"[,\"trap_of\"]} object per line.")
    var file = "eval/paraphrases.jsonl"

    @Option(help: "Cosine thresholds to report (repeatable).")
    var threshold: [Double] = [0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98]

    @OptionGroup var embeddings: EmbeddingOptions

    func run() throws {
        let set = try ParaphraseEvaluation.load(path: file)
        guard let (vectors, model) = try embeddings.embedAll(set.lines.map(\.text), label: "embedding \(set.lines.count) messages") else {
            throw ValidationError("no embeddings server: pass --embeddings-url or set COACHING_EMBEDDINGS_URL")
        }
        print("Similarity cache on \(file) (\(model)): first message of each group cached, the rest looked up")
        print("threshold  hit rate  false-hit rate  right  wrong  trap hits")
        for result in set.run(embeddings: vectors, thresholds: threshold.sorted()) {
            print(String(format: "%9.2f  %8.3f  %14.3f  %5d  %5d  %4d/%d", result.threshold, result.hitRate, result.falseHitRate,
                         result.rightHits, result.wrongHits, result.trapHits, result.traps))
        }
    }
}
