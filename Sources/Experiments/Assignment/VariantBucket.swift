import Crypto

/// The deterministic half of assignment: a salted SHA-256 of (experiment, agent) into 10,000
/// buckets, and buckets into variants by cumulative weight. Every process computes the same answer
/// with no coordination; the database then makes the first answer permanent.
public enum VariantBucket {
    public static let count = 10_000

    public static func bucket(salt: String, experiment: String, agentID: Int) -> Int {
        let digest = SHA256.hash(data: Array("\(salt):\(experiment):\(agentID)".utf8))
        let prefix = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(prefix % UInt64(count))
    }

    /// The variant whose share of the 10,000 buckets holds `bucket`; shares are the weights
    /// normalised, the last variant taking any rounding remainder.
    public static func variant(forBucket bucket: Int, in variants: [ExperimentDefinition.Variant]) -> String {
        let total = variants.reduce(0) { $0 + $1.weight }
        var upper = 0.0
        for variant in variants.dropLast() {
            upper += variant.weight / total * Double(count)
            if Double(bucket) < upper.rounded() { return variant.name }
        }
        return variants.last?.name ?? ""
    }
}
