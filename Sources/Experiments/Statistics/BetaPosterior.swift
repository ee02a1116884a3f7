import Foundation

/// What we believe about a variant's helpful rate after seeing its ratings: Beta(1 + helpful,
/// 1 + not helpful), i.e. a uniform prior updated by the ratings.
///
/// Unlike p-values, the probabilities derived from it ("b beats control with 97 %", "b is best with
/// 91 %") answer the question a prompt author actually asks. The flat prior claims nothing about a
/// new prompt, so with few ratings the probabilities stay near a coin flip instead of overreacting.
public struct BetaPosterior: Sendable, Equatable {
    public let alpha: Double
    public let beta: Double

    /// Negative counts cannot occur in valid data; they are treated as zero so that the posterior
    /// stays a proper distribution instead of failing later in the integration.
    public init(helpful: Int, notHelpful: Int) {
        alpha = 1 + Double(max(0, helpful))
        beta = 1 + Double(max(0, notHelpful))
    }

    public var mean: Double { alpha / (alpha + beta) }

    public var standardDeviation: Double {
        let total = alpha + beta
        return (alpha * beta / (total * total * (total + 1))).squareRoot()
    }

    /// ln f(x) for 0 < x < 1.
    func logDensity(at x: Double) -> Double {
        (alpha - 1) * log(x) + (beta - 1) * log1p(-x) + lgamma(alpha + beta) - lgamma(alpha) - lgamma(beta)
    }
}

extension BetaPosterior {
    /// Head-to-head probabilities for a set of variants:
    ///
    ///     P(i beats control) = ∫ fᵢ(x) F_c(x) dx
    ///     P(i is best)       = ∫ fᵢ(x) Πⱼ≠ᵢ Fⱼ(x) dx
    ///
    /// Computed by deterministic numerical integration rather than Monte Carlo draws, so the same
    /// ratings always show the same numbers (a figure that jitters on reload invites reading noise as
    /// news) and tests can pin them.
    ///
    /// Posteriors from many ratings are very narrow (sd ≈ 0.0005 at a million ratings), and one grid
    /// spread evenly over [0, 1], or over everything from a fresh variant's flat posterior to a mature
    /// one's spike, would step over them. So every posterior contributes its own evenly spaced points
    /// across its mean ± 20 standard deviations, and the integration runs over the merged grid.
    /// Each density is renormalised on that grid, so discretisation cannot make a variant's
    /// probability mass add up to more or less than one.
    public struct Comparison: Sendable, Equatable {
        public let controlIndex: Int
        /// One entry per posterior, in input order; they add up to 1 (up to integration error).
        public let probabilityOfBeingBest: [Double]
        /// One entry per posterior, in input order; nil at `controlIndex`.
        public let probabilityOfBeatingControl: [Double?]

        /// - Parameter pointsPerPosterior: grid cells spanning each posterior (at least 100).
        /// - Returns: nil when there are no posteriors or `controlIndex` is out of range.
        public init?(posteriors: [BetaPosterior], controlIndex: Int = 0, pointsPerPosterior: Int = 2_000) {
            guard !posteriors.isEmpty, posteriors.indices.contains(controlIndex) else { return nil }
            self.controlIndex = controlIndex

            let edges = Self.cellEdges(for: posteriors, pointsPerPosterior: max(100, pointsPerPosterior))
            let cells = edges.count - 1
            let midpoints = (0..<cells).map { (edges[$0] + edges[$0 + 1]) / 2 }
            let widths = (0..<cells).map { edges[$0 + 1] - edges[$0] }

            // Probability mass of each cell, per posterior (midpoint rule, then renormalised).
            let masses: [[Double]] = posteriors.map { posterior in
                let raw = zip(midpoints, widths).map { exp(posterior.logDensity(at: $0)) * $1 }
                let total = raw.reduce(0, +)
                return raw.map { $0 / total }
            }
            // F at each cell: the mass below it plus half its own, so that two identical posteriors
            // split the ties within a cell evenly and compare at exactly 1/2.
            let cdfs: [[Double]] = masses.map { mass in
                var below = 0.0
                return mass.map { cellMass in
                    defer { below += cellMass }
                    return below + cellMass / 2
                }
            }

            probabilityOfBeingBest = posteriors.indices.map { i in
                var probability = 0.0
                for cell in 0..<cells where masses[i][cell] > 0 {
                    var othersBelow = 1.0
                    for j in posteriors.indices where j != i { othersBelow *= cdfs[j][cell] }
                    probability += masses[i][cell] * othersBelow
                }
                return probability
            }
            probabilityOfBeatingControl = posteriors.indices.map { i in
                guard i != controlIndex else { return nil }
                return zip(masses[i], cdfs[controlIndex]).reduce(0.0) { $0 + $1.0 * $1.1 }
            }
        }

        /// Sorted, distinct cell boundaries: each posterior's mean ± 20 sd (within [0, 1]) cut into
        /// `pointsPerPosterior` equal cells, all merged. Identical posteriors yield identical points,
        /// which merge, so ties stay exact.
        private static func cellEdges(for posteriors: [BetaPosterior], pointsPerPosterior: Int) -> [Double] {
            let spread = 20.0
            var edges: [Double] = []
            edges.reserveCapacity(posteriors.count * (pointsPerPosterior + 1))
            for posterior in posteriors {
                let lower = max(0, posterior.mean - spread * posterior.standardDeviation)
                let upper = min(1, posterior.mean + spread * posterior.standardDeviation)
                let step = (upper - lower) / Double(pointsPerPosterior)
                edges.append(contentsOf: (0..<pointsPerPosterior).map { lower + Double($0) * step })
                edges.append(upper)
            }
            edges.sort()
            var distinct: [Double] = [edges[0]]
            for edge in edges.dropFirst() where edge > distinct[distinct.count - 1] {
                distinct.append(edge)
            }
            return distinct
        }
    }
}
