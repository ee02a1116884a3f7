import Foundation

/// Sample-ratio-mismatch (SRM) check: do the numbers of agents assigned to each variant match the
/// planned split?
///
/// A mismatch means the assignment itself is broken (a bucketing bug, agents dropping out of one arm,
/// a variant that crashes before logging), and then any difference in outcomes may come from *who*
/// ended up in each arm rather than from the prompt. Such an experiment must not produce a winner,
/// however convincing its numbers look.
///
/// Pearson's chi-square goodness-of-fit test of the observed counts against the counts the weights
/// predict. The threshold is deliberately strict (p < 0.001 by default): the check runs every time
/// the dashboard is viewed, and a looser one would raise false alarms on healthy experiments.
public struct SampleRatioCheck: Sendable, Equatable {
    /// Σ (observed − expected)² / expected.
    public let statistic: Double
    /// Number of variants − 1.
    public let degreesOfFreedom: Int
    /// Probability of a statistic at least this large if the split were as planned.
    public let pValue: Double
    /// `pValue < threshold`: the split is too far from the plan to be chance.
    public let mismatch: Bool

    /// - Parameters:
    ///   - observed: agents per variant, in the same order as `expectedWeights`.
    ///   - expectedWeights: the planned split, in any positive scale (e.g. `[1, 1]` or `[0.9, 0.1]`).
    ///   - threshold: p-value below which the split counts as a mismatch.
    /// - Returns: nil when there is nothing to test: fewer than two variants, no agents, lengths that
    ///   differ, a negative count, or a weight that is not a positive finite number.
    public init?(observed: [Int], expectedWeights: [Double], threshold: Double = 0.001) {
        guard observed.count >= 2, observed.count == expectedWeights.count,
              observed.allSatisfy({ $0 >= 0 }),
              expectedWeights.allSatisfy({ $0.isFinite && $0 > 0 })
        else { return nil }
        let total = Double(observed.reduce(0, +))
        guard total > 0 else { return nil }
        let weightSum = expectedWeights.reduce(0, +)

        var statistic = 0.0
        for (count, weight) in zip(observed, expectedWeights) {
            let expected = total * weight / weightSum
            let difference = Double(count) - expected
            statistic += difference * difference / expected
        }
        self.statistic = statistic
        degreesOfFreedom = observed.count - 1
        // Chi-square survival function: Q(df/2, x/2).
        pValue = RegularizedGamma.upper(a: Double(degreesOfFreedom) / 2, x: statistic / 2)
        mismatch = pValue < threshold
    }
}

/// Regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), the chi-square tail the
/// check needs. Written out (Numerical Recipes §6.2) because Foundation has no statistics functions
/// and the module must not depend on a numerics package.
///
/// The power series converges quickly for x < a + 1 and the continued fraction for x ≥ a + 1, so each
/// is used where it is fast and accurate; the continued fraction gives Q directly, which keeps tiny
/// p-values (strong mismatches) accurate instead of losing them to 1 − P cancellation.
enum RegularizedGamma {
    private static let epsilon = 1e-15
    private static let tiny = 1e-300
    private static let maxIterations = 10_000

    /// Q(a, x) for a > 0; 1 for x ≤ 0.
    static func upper(a: Double, x: Double) -> Double {
        precondition(a > 0, "Q(a, x) is defined for a > 0")
        guard x > 0 else { return 1 }
        if x < a + 1 {
            return max(0, 1 - lowerSeries(a: a, x: x))
        }
        return upperContinuedFraction(a: a, x: x)
    }

    /// e^(−x + a·ln x − lnΓ(a)), the factor both expansions share.
    private static func prefactor(a: Double, x: Double) -> Double {
        exp(-x + a * log(x) - lgamma(a))
    }

    /// P(a, x) by its series Σ xⁿ / (a(a+1)…(a+n)).
    private static func lowerSeries(a: Double, x: Double) -> Double {
        var denominator = a
        var term = 1 / a
        var sum = term
        for _ in 0..<maxIterations {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * epsilon { break }
        }
        return sum * prefactor(a: a, x: x)
    }

    /// Q(a, x) by its continued fraction, evaluated with the modified Lentz method.
    private static func upperContinuedFraction(a: Double, x: Double) -> Double {
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...maxIterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return prefactor(a: a, x: x) * h
    }
}
