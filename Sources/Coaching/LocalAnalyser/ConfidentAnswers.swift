/// What the local analyser would answer on its own, without the LLM, if only its confident
/// situations were trusted: the situations the classifier gives at least `minConfidence`
/// probability. Counted on a labelled set, so an operator can choose
/// `local_answer_min_confidence` from its precision (hints that name the labelled situation) and
/// its coverage (the share of labelled situations answered that way, each an LLM call saved).
public struct ConfidentAnswers: Sendable, Equatable {
    /// One message: its label, the predicted type (nil: none) and the classifier's probability for
    /// it (nil when the rules decided alone, which is never trusted).
    public typealias Outcome = (label: HintType?, predicted: HintType?, confidence: Double?)

    public let minConfidence: Double
    /// Messages answered with a situation at or above the confidence.
    public let answered: Int
    /// Of those, the ones whose hint type is the labelled one.
    public let correct: Int
    /// Of those, the ones labelled "none": a hint shown where nothing was worth saying.
    public let onNone: Int
    /// Messages labelled with a situation.
    public let situations: Int

    public init(minConfidence: Double, outcomes: [Outcome]) {
        self.minConfidence = minConfidence
        let trusted = outcomes.filter { outcome in
            guard outcome.predicted != nil, let confidence = outcome.confidence else { return false }
            return confidence >= minConfidence
        }
        answered = trusted.count
        correct = trusted.filter { $0.label == $0.predicted }.count
        onNone = trusted.filter { $0.label == nil }.count
        situations = outcomes.filter { $0.label != nil }.count
    }

    public var precision: Double { answered > 0 ? Double(correct) / Double(answered) : 0 }
    /// Share of the labelled situations answered correctly without the LLM.
    public var coverage: Double { situations > 0 ? Double(correct) / Double(situations) : 0 }

    /// The confidences `evaluate-local` and `train-local` report.
    public static let reportedThresholds = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98]

    /// The answers at every reported confidence, lowest first.
    public static func table(_ outcomes: [Outcome]) -> [ConfidentAnswers] {
        reportedThresholds.map { ConfidentAnswers(minConfidence: $0, outcomes: outcomes) }
    }

    /// The lowest reported confidence whose precision reaches `target` with at least `minimumAnswered`
    /// answers; nil when none does.
    public static func lowestThreshold(reaching target: Double, minimumAnswered: Int = 20,
                                       outcomes: [Outcome]) -> ConfidentAnswers? {
        table(outcomes).first { $0.answered >= minimumAnswered && $0.precision >= target }
    }
}
