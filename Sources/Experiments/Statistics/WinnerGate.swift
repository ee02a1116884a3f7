import Foundation

/// Decides whether the dashboard may name a winning prompt variant, or must say why not yet.
///
/// Posterior probabilities are only as trustworthy as the data behind them: a handful of ratings, or
/// ratings from two or three agents whose personal taste dominates, can make a variant look "best"
/// with high probability by accident, and a sample-ratio mismatch means the comparison itself is
/// biased. So a winner is suggested only when every variant has enough rated hints and enough
/// distinct agents, the split passes the SRM check, and one variant is best with high probability.
/// Otherwise every unmet condition is listed, in words an experiment owner can act on.
public struct WinnerGate: Sendable, Equatable {
    /// What the gate needs to know about one variant.
    public struct Variant: Sendable, Equatable {
        public let name: String
        public let ratedHints: Int
        /// Distinct agents who rated at least one of the variant's hints.
        public let agents: Int
        /// From `BetaPosterior.Comparison.probabilityOfBeingBest`.
        public let probabilityOfBeingBest: Double

        public init(name: String, ratedHints: Int, agents: Int, probabilityOfBeingBest: Double) {
            self.name = name
            self.ratedHints = ratedHints
            self.agents = agents
            self.probabilityOfBeingBest = probabilityOfBeingBest
        }
    }

    public enum Verdict: Sendable, Equatable {
        /// The named variant may be presented as the likely winner.
        case suggest(String)
        /// No winner yet; each reason is a complete sentence fragment for the UI.
        case insufficient(reasons: [String])
    }

    public let minimumRatedHints: Int
    public let minimumAgents: Int
    public let minimumProbabilityOfBeingBest: Double

    public init(minimumRatedHints: Int = 100, minimumAgents: Int = 5, minimumProbabilityOfBeingBest: Double = 0.95) {
        self.minimumRatedHints = minimumRatedHints
        self.minimumAgents = minimumAgents
        self.minimumProbabilityOfBeingBest = minimumProbabilityOfBeingBest
    }

    /// - Parameter sampleRatio: the SRM check of the experiment's agent counts; nil (the check could
    ///   not be run) blocks a suggestion, since a biased split could then not be ruled out.
    public func verdict(for variants: [Variant], sampleRatio: SampleRatioCheck?) -> Verdict {
        var reasons: [String] = []
        if variants.count < 2 {
            reasons.append("an experiment needs at least two variants to compare; it has \(variants.count)")
        }
        for variant in variants {
            if variant.ratedHints < minimumRatedHints {
                reasons.append("variant \(variant.name) has \(Self.count(variant.ratedHints, "rated hint")); "
                    + "\(minimumRatedHints) needed")
            }
            if variant.agents < minimumAgents {
                reasons.append("variant \(variant.name) has ratings from \(Self.count(variant.agents, "agent")); "
                    + "\(minimumAgents) needed")
            }
        }
        if let sampleRatio {
            if sampleRatio.mismatch {
                reasons.append("the agents' split between variants does not match the planned weights "
                    + "(sample-ratio mismatch, p = \(String(format: "%.2g", sampleRatio.pValue))); "
                    + "check the assignment before trusting any result")
            }
        } else {
            reasons.append("the sample-ratio check could not be run, so a biased split cannot be ruled out")
        }

        let leader = variants.max { $0.probabilityOfBeingBest < $1.probabilityOfBeingBest }
        if let leader, leader.probabilityOfBeingBest < minimumProbabilityOfBeingBest {
            let needed = Self.percent(minimumProbabilityOfBeingBest, .toNearestOrEven)
            let highest = Self.percent(leader.probabilityOfBeingBest, .down)
            reasons.append("no variant is best with probability of at least \(needed) "
                + "(highest: \(leader.name) at \(highest))")
        }

        if reasons.isEmpty, let leader {
            return .suggest(leader.name)
        }
        return .insufficient(reasons: reasons)
    }

    private static func count(_ value: Int, _ noun: String) -> String {
        "\(value) \(noun)\(value == 1 ? "" : "s")"
    }

    /// "95%", "87.3%": one decimal at most, without a trailing ".0". The leader's figure is rounded
    /// down so that a probability just short of the threshold never reads as reaching it.
    private static func percent(_ probability: Double, _ rule: FloatingPointRoundingRule) -> String {
        // The nudge keeps 0.873 (stored as 0.87299…) from rounding down to 87.2%.
        let tenths = (probability * 1_000 + 1e-9).rounded(rule)
        return tenths.truncatingRemainder(dividingBy: 10) == 0
            ? "\(Int(tenths / 10))%"
            : String(format: "%.1f%%", tenths / 10)
    }
}
