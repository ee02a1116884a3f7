/// One text's position in an embedding model's space, scaled to unit length so that the dot product
/// of two embeddings is their cosine similarity whatever server produced them.
public struct Embedding: Sendable, Equatable {
    public let values: [Float]

    /// Scales `raw` to unit length; nil for an empty or all-zero vector (nothing to compare).
    public init?(_ raw: [Float]) {
        var sum: Double = 0
        for value in raw { sum += Double(value) * Double(value) }
        guard sum > 0, sum.isFinite else { return nil }
        let scale = Float(1 / sum.squareRoot())
        values = raw.map { $0 * scale }
    }

    public var dimensions: Int { values.count }

    /// Cosine similarity; 0 when the dimensions differ (vectors of two models are not comparable).
    public func cosine(_ other: Embedding) -> Double {
        guard other.values.count == values.count else { return 0 }
        var sum: Float = 0
        for index in values.indices { sum += values[index] * other.values[index] }
        return Double(sum)
    }
}
