import Foundation
import XCTest
@testable import Coaching

final class EmbeddingBandsTests: XCTestCase {
    private static let dimensions = 384

    /// A fixed-seed generator of uniform values in -1…1, so every run tests the same vectors.
    private struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1)
        }
        mutating func vector(_ dimensions: Int) -> [Float] { (0..<dimensions).map { _ in next() } }
    }

    private func randomEmbedding(seed: UInt64) -> Embedding {
        var generator = Generator(state: seed)
        return Embedding(generator.vector(Self.dimensions))!
    }

    /// `embedding` moved a little in a random direction: cosine with the original about 0.992.
    private func perturbed(_ embedding: Embedding, seed: UInt64) -> Embedding {
        var generator = Generator(state: seed)
        let noise = Embedding(generator.vector(embedding.dimensions))!
        return Embedding(zip(embedding.values, noise.values).map { $0 + 0.12 * $1 })!
    }

    func testKeysAreSixAndTheSameOnEveryCall() {
        let embedding = randomEmbedding(seed: 1)
        let first = EmbeddingBands.keys(embedding, scope: "scope-a", model: "e5")
        XCTAssertEqual(first.count, EmbeddingBands.bands)
        XCTAssertEqual(first.count, 6)
        XCTAssertEqual(Set(first).count, 6, "each band has its own key")
        for _ in 0..<3 {
            XCTAssertEqual(EmbeddingBands.keys(embedding, scope: "scope-a", model: "e5"), first)
        }
    }

    func testIdenticalVectorsGiveIdenticalKeys() {
        let a = randomEmbedding(seed: 2)
        let b = randomEmbedding(seed: 2)
        XCTAssertEqual(a, b)
        XCTAssertEqual(EmbeddingBands.keys(a, scope: "s", model: "m"), EmbeddingBands.keys(b, scope: "s", model: "m"))
        // Scaling the raw vector changes nothing once it is unit length.
        var generator = Generator(state: 2)
        let scaled = Embedding(generator.vector(Self.dimensions).map { $0 * 7 })!
        XCTAssertEqual(EmbeddingBands.keys(scaled, scope: "s", model: "m"), EmbeddingBands.keys(a, scope: "s", model: "m"))
    }

    func testANearDuplicateSharesAtLeastOneBandKey() {
        for seed in UInt64(10)..<UInt64(40) {
            let original = randomEmbedding(seed: seed)
            let near = perturbed(original, seed: seed &* 977)
            XCTAssertGreaterThanOrEqual(original.cosine(near), 0.99, "seed \(seed)")
            XCTAssertLessThan(original.cosine(near), 0.9999, "seed \(seed): really perturbed")
            let shared = Set(EmbeddingBands.keys(original, scope: "s", model: "m"))
                .intersection(EmbeddingBands.keys(near, scope: "s", model: "m"))
            XCTAssertFalse(shared.isEmpty, "seed \(seed)")
        }
    }

    func testUnrelatedVectorsRarelyShareABandKey() {
        var sharing = 0
        for seed in UInt64(100)..<UInt64(160) {
            let a = randomEmbedding(seed: seed)
            let b = randomEmbedding(seed: seed + 10_000)
            XCTAssertLessThan(abs(a.cosine(b)), 0.3)
            let shared = Set(EmbeddingBands.keys(a, scope: "s", model: "m")).intersection(EmbeddingBands.keys(b, scope: "s", model: "m"))
            if !shared.isEmpty { sharing += 1 }
        }
        // By chance about 6/256 of pairs share a band.
        XCTAssertLessThanOrEqual(sharing, 6)
    }

    func testScopeAndModelAreInTheKeys() {
        let embedding = randomEmbedding(seed: 3)
        let base = Set(EmbeddingBands.keys(embedding, scope: "s", model: "m"))
        XCTAssertTrue(base.isDisjoint(with: EmbeddingBands.keys(embedding, scope: "t", model: "m")))
        XCTAssertTrue(base.isDisjoint(with: EmbeddingBands.keys(embedding, scope: "s", model: "other")))
    }

    func testHyperplanesAreFixedGaussianAndPerDimensionCount() {
        let planes = EmbeddingBands.hyperplanes(dimensions: Self.dimensions)
        XCTAssertEqual(planes.count, EmbeddingBands.bands * EmbeddingBands.bitsPerBand)
        XCTAssertTrue(planes.allSatisfy { $0.count == Self.dimensions })
        XCTAssertEqual(EmbeddingBands.hyperplanes(dimensions: Self.dimensions), planes)
        let values = planes.joined().map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.1)
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        let small = EmbeddingBands.hyperplanes(dimensions: 8)
        XCTAssertEqual(small.first?.count, 8)
        XCTAssertNotEqual(small.first, Array(planes[0].prefix(8)))
    }

    func testBase64RoundTripKeepsTheEmbedding() throws {
        let embedding = randomEmbedding(seed: 4)
        let text = EmbeddingBands.base64(embedding)
        XCTAssertEqual(Data(base64Encoded: text)?.count, Self.dimensions * 4)
        let back = try XCTUnwrap(EmbeddingBands.embedding(base64: text))
        XCTAssertEqual(back.dimensions, Self.dimensions)
        for (a, b) in zip(back.values, embedding.values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(back.cosine(embedding), 1, accuracy: 1e-5)
        XCTAssertEqual(EmbeddingBands.keys(back, scope: "s", model: "m"), EmbeddingBands.keys(embedding, scope: "s", model: "m"))
    }

    func testBytesAreFloat32LittleEndian() throws {
        let embedding = try XCTUnwrap(Embedding([0, 2]))
        XCTAssertEqual(EmbeddingBands.bytes(embedding), [0, 0, 0, 0, 0, 0, 0x80, 0x3F])
        XCTAssertEqual(EmbeddingBands.base64(embedding), "AAAAAAAAgD8=")
    }

    func testBase64WithMariaDBLineBreaksIsRead() throws {
        // MariaDB's TO_BASE64 breaks its output every 76 characters.
        let embedding = randomEmbedding(seed: 5)
        let plain = EmbeddingBands.base64(embedding)
        var wrapped = ""
        for (offset, character) in plain.enumerated() {
            if offset > 0 && offset % 76 == 0 { wrapped.append("\n") }
            wrapped.append(character)
        }
        XCTAssertTrue(wrapped.contains("\n"))
        let back = try XCTUnwrap(EmbeddingBands.embedding(base64: wrapped))
        XCTAssertEqual(EmbeddingBands.bytes(back), EmbeddingBands.bytes(try XCTUnwrap(EmbeddingBands.embedding(base64: plain))))
        XCTAssertEqual(back.cosine(embedding), 1, accuracy: 1e-5)
    }

    func testUnreadableBytesGiveNoEmbedding() {
        XCTAssertNil(EmbeddingBands.embedding([]))
        XCTAssertNil(EmbeddingBands.embedding([0, 0, 0x80]))
        XCTAssertNil(EmbeddingBands.embedding([0, 0, 0, 0]), "all-zero vector")
        XCTAssertNil(EmbeddingBands.embedding(base64: ""))
    }
}
