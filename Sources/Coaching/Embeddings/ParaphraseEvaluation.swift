import Foundation
import JSON

/// Measures the similarity cache's rule (reuse a hint when cosine ≥ a threshold) on a labelled
/// paraphrase set: JSON Lines of `{"group":G,"lang":…,"text":…,"label":…}`, where the messages of a
/// group deserve the same hint, plus "trap" lines (`"trap_of":G`) written to look like group G but
/// deserving another hint. The first message of every ordinary group is cached; every other message
/// (of the same language) looks for its most similar cached one. A hit on its own group is right;
/// a hit on another group, or any hit for a trap, would show the wrong hint.
public struct ParaphraseEvaluation: Sendable {
    public struct Line: Sendable {
        public let group: Int
        public let language: String
        public let text: String
        public let isTrap: Bool
    }

    public struct Result: Sendable, Equatable {
        public let threshold: Double
        /// Ordinary (non-first) messages, and those served their own group's hint.
        public let paraphrases: Int
        public let rightHits: Int
        /// Hits that would show another message's hint (wrong group, or a trap served at all).
        public let wrongHits: Int
        public let traps: Int
        public let trapHits: Int

        /// Share of paraphrases that reuse their group's hint (fewer LLM calls).
        public var hitRate: Double { paraphrases > 0 ? Double(rightHits) / Double(paraphrases) : 0 }
        /// Share of all hits that show the wrong hint.
        public var falseHitRate: Double {
            let hits = rightHits + wrongHits
            return hits > 0 ? Double(wrongHits) / Double(hits) : 0
        }
    }

    public let lines: [Line]

    public init(lines: [Line]) {
        self.lines = lines
    }

    public static func load(path: String) throws -> ParaphraseEvaluation {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines: [Line] = []
        for (number, raw) in text.split(separator: "\n").enumerated() where !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            let value = try JSONParser.parse(String(raw), maxDepth: 4)
            guard let group = value["group"]?.intValue, let language = value["lang"]?.stringValue,
                  let message = value["text"]?.stringValue else {
                throw LocalAnalyserEvaluation.LoadError(line: number + 1, reason: "group, lang and text are required")
            }
            lines.append(Line(group: group, language: language, text: message, isTrap: value["trap_of"] != nil))
        }
        return ParaphraseEvaluation(lines: lines)
    }

    /// `embeddings[i]` belongs to `lines[i]`.
    public func run(embeddings: [Embedding], thresholds: [Double]) -> [Result] {
        var seeds: [Int: Int] = [:] // group → line index of its cached message
        for (index, line) in lines.enumerated() where !line.isTrap && seeds[line.group] == nil { seeds[line.group] = index }
        let seedIndexes = Set(seeds.values)
        // Each query's most similar cached message of its language.
        let best: [(query: Int, seed: Int, cosine: Double)] = lines.indices.compactMap { query in
            guard !seedIndexes.contains(query) else { return nil }
            var found: (Int, Double)?
            for seed in seedIndexes where lines[seed].language == lines[query].language {
                let cosine = embeddings[query].cosine(embeddings[seed])
                if found == nil || cosine > found!.1 { found = (seed, cosine) }
            }
            return found.map { (query, $0.0, $0.1) }
        }
        return thresholds.map { threshold in
            var paraphrases = 0, right = 0, wrong = 0, traps = 0, trapHits = 0
            for (query, seed, cosine) in best {
                let line = lines[query]
                let hit = cosine >= threshold
                if line.isTrap {
                    traps += 1
                    if hit { trapHits += 1; wrong += 1 }
                } else {
                    paraphrases += 1
                    if hit { if lines[seed].group == line.group { right += 1 } else { wrong += 1 } }
                }
            }
            return Result(threshold: threshold, paraphrases: paraphrases, rightHits: right, wrongHits: wrong,
                          traps: traps, trapHits: trapHits)
        }
    }
}
