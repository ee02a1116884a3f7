import Coaching

/// The evidence for one experiment, variant by variant: what the admin page, the JSON endpoint and
/// `coaching experiments report` all show. Built by `ExperimentReport` from SQL aggregates.
public struct ExperimentComparison: Sendable {
    public struct Helpful: Sendable {
        public var helpful = 0
        public var rated = 0
        /// Helpful / rated with the 95 % interval that treats each agent as a cluster.
        public var clustered: ClusteredProportion?

        /// The clustered interval, never narrower than the Wilson interval of the pooled ratings:
        /// when a few agents happen to agree, the clustered variance comes out near zero, a
        /// certainty the ratings do not give. Nil with ratings from fewer than two agents.
        public var interval: ClosedRange<Double>? {
            guard let clusteredInterval = clustered?.interval else { return nil }
            guard let wilson = WilsonInterval(successes: helpful, trials: rated) else { return clusteredInterval }
            return min(clusteredInterval.lowerBound, wilson.lower)...max(clusteredInterval.upperBound, wilson.upper)
        }
    }

    public struct Outcomes: Sendable {
        public var conversations = 0
        public var withOutcome = 0
        public var won = 0
        public var lost = 0
        public var resolved = 0
        public var abandoned = 0
        public var wonValue = 0.0

        public var conversionRate: Double? { ratio(won, withOutcome) }
        public var valuePerConversation: Double? { conversations > 0 ? wonValue / Double(conversations) : nil }
    }

    public struct TypeRow: Sendable {
        public var hintType: String
        public var hints = 0
        public var rated = 0
        public var helpful = 0
    }

    public struct Variant: Sendable {
        public var name: String
        public var weight: Double
        public var isControl: Bool
        public var templateHash: String?
        public var agents = 0
        public var hints = 0
        public var viewed = 0
        public var suggestionsUsed = 0
        public var helpful = Helpful()
        public var modelCalls = 0
        public var noHintCalls = 0
        public var invalidCalls = 0
        public var spend = 0.0
        public var latencyP50: Double?
        public var latencyP95: Double?
        public var probabilityOfBeingBest: Double?
        public var probabilityOfBeatingControl: Double?
        public var outcomes = Outcomes()
        public var byType: [TypeRow] = []

        public var viewRate: Double? { ratio(viewed, hints) }
        public var feedbackRate: Double? { ratio(helpful.rated, hints) }
        public var suggestionUseRate: Double? { ratio(suggestionsUsed, hints) }
        /// Among the model's valid answers, the share that found nothing to coach.
        public var noHintRate: Double? { ratio(noHintCalls, modelCalls - invalidCalls) }
        public var invalidOutputRate: Double? { ratio(invalidCalls, modelCalls) }
        /// Everything spent on the variant's model calls (including ones that gave no hint) per hint.
        public var costPerHint: Double? { hints > 0 ? spend / Double(hints) : nil }
    }

    public struct DayPoint: Sendable {
        public var day: String
        public var variant: String
        public var rated: Int
        public var helpful: Int
    }

    public var definition: ExperimentDefinition
    public var state: ExperimentStore.State?
    public var since: String?
    public var variants: [Variant]
    public var sampleRatio: SampleRatioCheck?
    public var verdict: WinnerGate.Verdict
    public var series: [DayPoint]

    public var status: ExperimentDefinition.Status { state?.status ?? definition.initialStatus }
}

func ratio(_ part: Int, _ whole: Int) -> Double? {
    whole > 0 ? Double(part) / Double(whole) : nil
}
