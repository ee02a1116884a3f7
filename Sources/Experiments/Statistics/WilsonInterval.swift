import Foundation

/// 95 % Wilson score interval for a proportion of independent trials.
///
/// Used instead of the textbook `p ± 1.96·√(p(1−p)/n)` because that one collapses to zero width at
/// 0 % or 100 % and overshoots [0, 1] on the small samples a fresh prompt variant starts with; the
/// Wilson interval stays inside [0, 1] and keeps a sensible width there.
///
/// It assumes the trials are independent. Ratings cluster by agent, so for an experiment's helpful
/// rate prefer `ClusteredProportion`; this interval suits per-agent figures and quick sanity checks.
public struct WilsonInterval: Sendable, Equatable {
    public let lower: Double
    public let upper: Double

    /// The exact two-sided 95 % normal quantile; the rounded 1.96 would drift from reference tools
    /// in the fifth decimal.
    private static let z = 1.959963984540054

    /// Returns nil when there are no trials (no rate to bound) or the counts are inconsistent
    /// (negative, or more successes than trials).
    public init?(successes: Int, trials: Int) {
        guard trials > 0, successes >= 0, successes <= trials else { return nil }
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = Self.z * Self.z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let halfWidth = Self.z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // At 0 % and 100 % the bound is exactly 0 or 1; rounding would otherwise leave 1e-17 residues.
        lower = successes == 0 ? 0 : max(0, centre - halfWidth)
        upper = successes == trials ? 1 : min(1, centre + halfWidth)
    }
}
