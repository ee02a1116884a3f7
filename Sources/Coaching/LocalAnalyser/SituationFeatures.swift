/// The numbers the situation classifier reads for one message: what the phrase rules found (each
/// type's score, capped, and the rules' own decision as a one-hot) and, for the models that use it,
/// the message's embedding scaled so its components are about 1 in size like the rule features.
/// Training (`ClassifierTrainer`) and prediction build features here and nowhere else, so the two
/// can never disagree about what a weight means.
public struct SituationFeatures: Sendable, Equatable {
    /// Rule scores above this add nothing: a type found three times is as certain as it gets.
    static let scoreCap = 3.0
    /// The classes in weight-row order: the seven types, then "none" (nil).
    public static let classes: [HintType?] = HintType.allCases.map { Optional($0) } + [nil]
    public static let ruleCount = HintType.allCases.count + classes.count

    public let values: [Double]

    public init(rules: RuleReading, embedding: Embedding?) {
        var values: [Double] = []
        values.reserveCapacity(Self.ruleCount + (embedding?.dimensions ?? 0))
        for type in HintType.allCases { values.append(min(rules.scores[type] ?? 0, Self.scoreCap)) }
        for candidate in Self.classes { values.append(candidate == rules.decision ? 1 : 0) }
        if let embedding {
            let scale = Double(embedding.dimensions).squareRoot()
            for value in embedding.values { values.append(Double(value) * scale) }
        }
        self.values = values
    }

    /// Only the embedding part, for the embedding-alone model.
    public init(embedding: Embedding) {
        let scale = Double(embedding.dimensions).squareRoot()
        values = embedding.values.map { Double($0) * scale }
    }
}

/// What the phrase rules alone make of a message: every type's score, the type they would hint
/// (nil: none) and, per type, the facet of its heaviest rule (what a hint of that type talks about).
public struct RuleReading: Sendable, Equatable {
    public let scores: [HintType: Double]
    public let decision: HintType?
    let facets: [HintType: SituationFacet]
    var evidence: [HintType: SituationScorer.Evidence] = [:]
}
