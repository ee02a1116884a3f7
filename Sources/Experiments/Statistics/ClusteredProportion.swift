import Foundation

/// An experiment's helpful rate, Σhelpful / Σrated over agents, with a 95 % interval that respects
/// that ratings come in clusters: one agent rates many hints, and agents differ in how generous they
/// are. Treating every rating as independent (a plain binomial interval) would overstate how sure we
/// are, most of all when a few heavy raters dominate a variant.
///
/// The rate is a ratio estimator; its variance is the delta-method (cluster-robust, "sandwich")
/// variance with the usual k/(k−1) small-sample correction, k being the number of agents who rated
/// anything:
///
///     var = k/(k−1) · Σᵢ (yᵢ − p·nᵢ)² / (Σn)²
///
/// This is what a regression of the individual ratings on a constant with standard errors clustered
/// by agent gives. Like every delta-method interval it is symmetric and can have zero width when all
/// agents agree exactly (e.g. every rating helpful), so do not read a zero-width interval as certainty.
public struct ClusteredProportion: Sendable, Equatable {
    /// One agent's ratings within one variant.
    public struct Cluster: Sendable, Equatable {
        public let successes: Int
        public let trials: Int

        public init(successes: Int, trials: Int) {
            self.successes = successes
            self.trials = trials
        }
    }

    public let successes: Int
    public let trials: Int
    /// Agents with at least one rating; those without carry no information about the rate.
    public let clusterCount: Int
    /// Σsuccesses / Σtrials.
    public let rate: Double
    /// Cluster-robust standard error of `rate`; nil with fewer than two agents, where the spread
    /// between agents cannot be estimated.
    public let standardError: Double?
    /// `rate ± 1.96·standardError`, clamped to [0, 1]; nil with fewer than two agents.
    public let interval: ClosedRange<Double>?
    /// Clustered variance divided by the binomial variance p(1−p)/Σn: how many times wider (squared)
    /// the interval is than if every rating came from a different agent. Lets the UI explain a wide
    /// interval. Nil with fewer than two agents, or when the rate is 0 or 1 (both variances are 0).
    public let designEffect: Double?

    /// Exact two-sided 95 % normal quantile (what "1.96" abbreviates), so figures match reference tools.
    private static let z = 1.959963984540054

    /// Returns nil when nothing was rated or a cluster's counts are inconsistent (negative, or more
    /// successes than trials): there is no rate to report then.
    public init?(clusters: [Cluster]) {
        guard clusters.allSatisfy({ $0.trials >= 0 && $0.successes >= 0 && $0.successes <= $0.trials }) else {
            return nil
        }
        let totalSuccesses = clusters.reduce(0) { $0 + $1.successes }
        let totalTrials = clusters.reduce(0) { $0 + $1.trials }
        guard totalTrials > 0 else { return nil }

        successes = totalSuccesses
        trials = totalTrials
        let p = Double(totalSuccesses) / Double(totalTrials)
        rate = p
        let rated = clusters.filter { $0.trials > 0 }
        clusterCount = rated.count

        guard rated.count >= 2 else {
            standardError = nil
            interval = nil
            designEffect = nil
            return
        }
        let k = Double(rated.count)
        let n = Double(totalTrials)
        let squaredResiduals = rated.reduce(0.0) { sum, cluster in
            let residual = Double(cluster.successes) - p * Double(cluster.trials)
            return sum + residual * residual
        }
        let variance = k / (k - 1) * squaredResiduals / (n * n)
        let se = variance.squareRoot()
        standardError = se
        interval = max(0, p - Self.z * se)...min(1, p + Self.z * se)
        let binomialVariance = p * (1 - p) / n
        designEffect = binomialVariance > 0 ? variance / binomialVariance : nil
    }
}
