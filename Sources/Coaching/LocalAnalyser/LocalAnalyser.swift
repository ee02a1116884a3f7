import Foundation

/// The built-in analyser: no LLM, deterministic, Portuguese and English. It scores the seven
/// situations with weighted phrase rules over the customer's messages (see `SituationRules`) and,
/// when it has a trained `SituationClassifier` and the message's embedding, lets the classifier
/// decide from the rules' findings and the embedding together (rules alone miss phrasings they do
/// not know). It then writes a templated hint with suggested replies in the customer's language.
/// Used when no LLM key is configured, as the fallback at the cost cap or with the circuit open,
/// and as a pre-filter that spares the LLM messages with no situation.
public struct LocalAnalyser: Sendable {
    /// How a decision was made, recorded with the hint (`model_used`) and in metrics.
    public enum Method: String, Sendable {
        /// Rules and embedding through the classifier.
        case combined
        /// Rules alone: no classifier, embeddings off, or (see `LocalAnalysis.fallback`) the
        /// embeddings server failed.
        case rules
    }

    /// The trained weights; nil decides by rules alone.
    public let classifier: SituationClassifier?

    /// A type needs at least this score to become a hint.
    public static let threshold = 1.2
    /// Only the most recent customer turns of the context can reinforce a situation.
    static let contextTurns = 3
    /// Messages of a merged burst beyond this many (the oldest) are not read.
    static let maxMessages = 20

    /// When two enabled types score the same, the more urgent one wins.
    static let priority: [HintType] = [
        .escalationNeeded, .negativeSentiment, .closingOpportunity, .buyingSignal, .objection, .opportunity, .question,
    ]
    /// Many buying signals, objections and opportunities are phrased as questions; a plain question
    /// hint only wins over one of them when it is clearly stronger.
    static let questionYield = 0.6

    public init(classifier: SituationClassifier? = nil) {
        self.classifier = classifier
    }

    /// Rules alone.
    public func analyse(_ input: AnalysisInput) -> AnalysisOutput {
        let reading = rules(input)
        return output(rulesDecision(reading, enabled: input.enabledTypes), reading: reading, input: input)
    }

    /// With the classifier when `embedding` comes from the model it was trained with; else rules alone.
    public func analyse(_ input: AnalysisInput, embedding: Embedding?, embeddingsModel: String?) -> (output: AnalysisOutput, method: Method) {
        let result = classify(input, embedding: embedding, embeddingsModel: embeddingsModel)
        return (result.output, result.method)
    }

    /// A decision with how sure it is: the classifier's probability for the class it chose, nil
    /// when the rules decided alone (they have no calibrated confidence).
    public struct Classification: Sendable, Equatable {
        public let output: AnalysisOutput
        public let method: Method
        public let confidence: Double?
    }

    /// `analyse(_:embedding:embeddingsModel:)` with the classifier's confidence.
    public func classify(_ input: AnalysisInput, embedding: Embedding?, embeddingsModel: String?) -> Classification {
        let reading = rules(input)
        guard let classifier, let embedding, let embeddingsModel,
              classifier.accepts(model: embeddingsModel, dimensions: embedding.dimensions), !input.enabledTypes.isEmpty else {
            return Classification(output: output(rulesDecision(reading, enabled: input.enabledTypes), reading: reading, input: input),
                                  method: .rules, confidence: nil)
        }
        let decision = classifier.decision(classifier.combined, features: SituationFeatures(rules: reading, embedding: embedding),
                                           enabled: input.enabledTypes)
        return Classification(output: output(decision.type, reading: reading, input: input), method: .combined,
                              confidence: decision.probability)
    }

    /// The text an embedding is asked for: the analysed messages (a merged burst reads as one).
    public static func embeddingText(_ input: AnalysisInput) -> String {
        input.messages.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .suffix(maxMessages).joined(separator: "\n")
    }

    /// What the phrase rules find, before any classifier: the features the classifier was trained
    /// on. The decision is taken among all seven types, as in training, whatever is enabled; the
    /// enabled types restrict only the final answer.
    public func rules(_ input: AnalysisInput) -> RuleReading {
        let messages = Array(input.messages.filter { !$0.isEmpty }.suffix(Self.maxMessages))
        guard !messages.isEmpty else { return RuleReading(scores: [:], decision: nil, facets: [:], evidence: [:]) }
        let evidence = SituationScorer.evidence(messages: messages, context: customerContext(input))
        let decision = strongest(evidence, enabled: HintType.allCases)?.0
        return RuleReading(scores: evidence.mapValues(\.score), decision: decision, facets: evidence.mapValues(\.facet),
                           evidence: evidence)
    }

    /// The rules' own answer among the enabled types.
    private func rulesDecision(_ reading: RuleReading, enabled: [HintType]) -> HintType? {
        enabled.count == HintType.allCases.count ? reading.decision : strongest(reading.evidence, enabled: enabled)?.0
    }

    private func output(_ type: HintType?, reading: RuleReading, input: AnalysisInput) -> AnalysisOutput {
        guard let type, input.enabledTypes.contains(type) else { return .none }
        let messages = input.messages.filter { !$0.isEmpty }
        let facet = reading.facets[type] ?? Self.generalFacet[type] ?? .product
        let language = LanguageDetector.detect(messages, fallback: ChatLanguage(code: input.language))
        let entry = HintPhrasebook.entry(for: facet, language: language)
        return AnalysisOutput(
            hasHint: true,
            hintType: type,
            hintText: entry.hint,
            suggestions: Array(entry.suggestions.prefix(OutputValidator.maxSuggestions)))
    }

    /// The facet a hint talks about when the classifier found a type no rule named.
    static let generalFacet: [HintType: SituationFacet] = [
        .objection: .doubt, .opportunity: .upsell, .question: .product, .negativeSentiment: .frustration,
        .buyingSignal: .nextStep, .closingOpportunity: .decision, .escalationNeeded: .manager,
    ]

    /// The score of every type the messages show (enabled or not), for callers that want to know
    /// whether a message has any situation at all, e.g. to decide whether it is worth an LLM call.
    public func situationScores(_ input: AnalysisInput) -> [HintType: Double] {
        let messages = Array(input.messages.filter { !$0.isEmpty }.suffix(Self.maxMessages))
        return SituationScorer.evidence(messages: messages, context: customerContext(input)).mapValues(\.score)
    }

    private func customerContext(_ input: AnalysisInput) -> [String] {
        let customerTurns = input.context.filter { $0.speaker == .customer }.map(\.text)
        // The analysed messages may also be the last context turns; do not count them twice.
        var turns = customerTurns
        while let last = turns.last, input.messages.contains(last) { turns.removeLast() }
        return Array(turns.suffix(Self.contextTurns))
    }

    private func strongest(_ evidence: [HintType: SituationScorer.Evidence], enabled: [HintType]) -> (HintType, SituationFacet)? {
        let candidates = Self.priority.compactMap { type -> (type: HintType, score: Double, facet: SituationFacet)? in
            guard enabled.contains(type), let found = evidence[type], found.score >= Self.threshold else { return nil }
            return (type, found.score, found.facet)
        }
        let othersPresent = candidates.contains { $0.type != .question }
        var best: (type: HintType, score: Double, facet: SituationFacet)?
        for candidate in candidates {
            let score = candidate.type == .question && othersPresent ? candidate.score * Self.questionYield : candidate.score
            if let current = best, current.score >= score { continue }
            best = (candidate.type, score, candidate.facet)
        }
        return best.map { ($0.type, $0.facet) }
    }
}
