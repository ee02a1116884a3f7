/// The built-in analyser: no network, deterministic, Portuguese and English. It scores the seven
/// situations with weighted phrase rules over the customer's messages (see `SituationRules`),
/// picks the strongest one among the enabled types, and writes a hint with suggested replies in
/// the customer's language. Used when no LLM key is configured, as the fallback at the cost cap
/// or with the circuit open, and as a pre-filter that spares the LLM messages with no situation.
public struct LocalAnalyser: Sendable {
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

    public init() {}

    public func analyse(_ input: AnalysisInput) -> AnalysisOutput {
        let messages = Array(input.messages.filter { !$0.isEmpty }.suffix(Self.maxMessages))
        guard !messages.isEmpty, !input.enabledTypes.isEmpty else { return .none }
        let evidence = SituationScorer.evidence(messages: messages, context: customerContext(input))
        guard let (type, facet) = strongest(evidence, enabled: input.enabledTypes) else { return .none }
        let language = LanguageDetector.detect(messages, fallback: ChatLanguage(code: input.language))
        let entry = HintPhrasebook.entry(for: facet, language: language)
        return AnalysisOutput(
            hasHint: true,
            hintType: type,
            hintText: entry.hint,
            suggestions: Array(entry.suggestions.prefix(OutputValidator.maxSuggestions)))
    }

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
