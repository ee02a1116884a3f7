import Foundation
import Synchronization

/// Locality-sensitive keys for embeddings: the signs of the vector against fixed random hyperplanes,
/// cut into bands; each band (with the cache scope and the embedding model) is one key in
/// `coaching_cache_bands`. Two messages with cosine similarity c agree on one sign with probability
/// 1 − arccos(c)/π, so near-duplicates (c ≥ 0.95) share at least one of the six 8-bit bands with
/// probability ≈ 0.97 while unrelated messages rarely do — a look-up reads a handful of index rows
/// and scores at most `HintCache.maxCandidates` stored vectors, however large the cache.
/// The hyperplanes come from a fixed seed, so every process and host computes the same keys.
enum EmbeddingBands {
    static let bands = 6
    static let bitsPerBand = 8

    static func keys(_ embedding: Embedding, scope: String, model: String) -> [Int64] {
        let planes = hyperplanes(dimensions: embedding.dimensions)
        let salt = HintCache.fnv1a64("embedding\u{1F}" + model + "\u{1F}" + scope)
        return (0..<bands).map { band in
            var bits: UInt64 = 0
            for bit in 0..<bitsPerBand {
                let plane = planes[band * bitsPerBand + bit]
                var dot: Float = 0
                for index in 0..<embedding.dimensions { dot += plane[index] * embedding.values[index] }
                if dot >= 0 { bits |= 1 << UInt64(bit) }
            }
            return Int64(bitPattern: HintCache.mix(salt ^ (UInt64(band) << 56) ^ bits))
        }
    }

    private static let cache = Mutex<[Int: [[Float]]]>([:])

    /// Gaussian hyperplanes (Box–Muller over SplitMix64), made once per dimension count.
    static func hyperplanes(dimensions: Int) -> [[Float]] {
        if let known = cache.withLock({ $0[dimensions] }) { return known }
        var state: UInt64 = 0x5EED_0000_0000_0000 ^ UInt64(dimensions)
        func next() -> Double {
            state = state &+ 0x9E37_79B9_7F4A_7C15
            return Double(HintCache.mix(state) >> 11) / Double(1 << 53)
        }
        let planes = (0..<(bands * bitsPerBand)).map { _ in
            (0..<dimensions).map { _ -> Float in
                let u = max(next(), 1e-12), v = next()
                return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
            }
        }
        cache.withLock { $0[dimensions] = planes }
        return planes
    }

    /// float32 little endian in base64, the form SQL moves it in (`FROM_BASE64(?)`, `TO_BASE64(embedding)`).
    static func base64(_ embedding: Embedding) -> String { Data(bytes(embedding)).base64EncodedString() }

    static func embedding(base64: String) -> Embedding? {
        Data(base64Encoded: base64, options: .ignoreUnknownCharacters).flatMap { embedding([UInt8]($0)) }
    }

    /// float32 little endian, as stored in `realtime_coaching_cache.embedding`.
    static func bytes(_ embedding: Embedding) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(embedding.dimensions * 4)
        for value in embedding.values {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { output.append(contentsOf: $0) }
        }
        return output
    }

    static func embedding(_ bytes: [UInt8]) -> Embedding? {
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
        var values: [Float] = []
        values.reserveCapacity(bytes.count / 4)
        for start in stride(from: 0, to: bytes.count, by: 4) {
            let bits = UInt32(bytes[start]) | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2]) << 16 | UInt32(bytes[start + 3]) << 24
            values.append(Float(bitPattern: bits))
        }
        return Embedding(values)
    }
}
