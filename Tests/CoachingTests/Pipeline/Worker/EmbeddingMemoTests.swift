@testable import Coaching
import XCTest

final class EmbeddingMemoTests: XCTestCase {
    private func key(_ text: String, endpoint: String = "http://127.0.0.1:8090/v1/embeddings") -> EmbeddingMemo.Key {
        EmbeddingMemo.Key(endpoint: endpoint, model: "m", text: text)
    }

    private func vector(_ seed: Float) -> (Embedding, String) {
        (Embedding([seed, 1, 2])!, "m")
    }

    func testStoredEmbeddingIsFoundForTheSameServerModelAndTextOnly() {
        let memo = EmbeddingMemo(capacity: 8)
        memo.store(key("achei caro"), vector(1))
        XCTAssertEqual(memo.value(key("achei caro"))?.0, vector(1).0)
        XCTAssertNil(memo.value(key("achei caro", endpoint: "http://other/v1/embeddings")))
        XCTAssertNil(memo.value(key("achei barato")))
    }

    func testOldestEntriesLeaveFirstWhenFull() {
        let memo = EmbeddingMemo(capacity: 3)
        for index in 0..<10 { memo.store(key("m\(index)"), vector(Float(index))) }
        XCTAssertNil(memo.value(key("m6")))
        for index in 7..<10 { XCTAssertNotNil(memo.value(key("m\(index)")), "m\(index)") }
    }

    func testOnlyOneThreadPrefetchesAtATimeAndTheCursorOnlyMovesForward() {
        let memo = EmbeddingMemo()
        XCTAssertEqual(memo.beginPrefetch(), 0)
        XCTAssertNil(memo.beginPrefetch())
        memo.endPrefetch(through: 42)
        XCTAssertEqual(memo.beginPrefetch(), 42)
        memo.endPrefetch(through: 7)
        XCTAssertEqual(memo.beginPrefetch(), 42)
    }
}
