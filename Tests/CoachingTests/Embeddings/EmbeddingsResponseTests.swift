import XCTest
@testable import Coaching

final class EmbeddingsResponseTests: XCTestCase {
    private func decode(_ text: String, inputs: Int, requestedModel: String = "asked-model") throws(EmbeddingsError) -> EmbeddingsResponse {
        try EmbeddingsResponse.decode(Array(text.utf8), inputs: inputs, requestedModel: requestedModel)
    }

    /// The error `decode` throws for `text`, or nil when it decodes.
    private func failure(_ text: String, inputs: Int) -> EmbeddingsError? {
        do {
            _ = try decode(text, inputs: inputs)
            return nil
        } catch {
            return error
        }
    }

    private func assertInvalidResponse(_ text: String, inputs: Int, file: StaticString = #filePath, line: UInt = #line) {
        guard let error = failure(text, inputs: inputs) else {
            return XCTFail("expected invalidResponse for \(text)", file: file, line: line)
        }
        guard case .invalidResponse = error else {
            return XCTFail("expected invalidResponse, got \(error)", file: file, line: line)
        }
        XCTAssertEqual(error.kind, "invalid_response", file: file, line: line)
    }

    private func assertValues(_ embedding: Embedding, _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(embedding.values.count, expected.count, file: file, line: line)
        for (value, wanted) in zip(embedding.values, expected) {
            XCTAssertEqual(value, wanted, accuracy: 1e-6, "\(embedding.values)", file: file, line: line)
        }
    }

    func testShuffledDataComesBackInInputOrderByIndex() throws {
        let response = try decode("""
            {"object":"list","model":"e5-small","usage":{"prompt_tokens":9,"total_tokens":9},"data":[
             {"object":"embedding","index":2,"embedding":[0,0,5]},
             {"object":"embedding","index":0,"embedding":[3,4,0]},
             {"object":"embedding","index":1,"embedding":[0,-2,0]}]}
            """, inputs: 3)
        XCTAssertEqual(response.embeddings.count, 3)
        assertValues(response.embeddings[0], [0.6, 0.8, 0])
        assertValues(response.embeddings[1], [0, -1, 0])
        assertValues(response.embeddings[2], [0, 0, 1])
    }

    func testModelAndPromptTokensAreRead() throws {
        let response = try decode(#"{"model":"text-embedding-3-small","usage":{"prompt_tokens":17},"data":[{"index":0,"embedding":[1,2]}]}"#,
                                  inputs: 1)
        XCTAssertEqual(response.model, "text-embedding-3-small")
        XCTAssertEqual(response.promptTokens, 17)
    }

    func testMissingOrEmptyModelFallsBackToTheRequestedOneAndMissingUsageIsZero() throws {
        let silent = try decode(#"{"data":[{"index":0,"embedding":[1,2]}]}"#, inputs: 1, requestedModel: "asked")
        XCTAssertEqual(silent.model, "asked")
        XCTAssertEqual(silent.promptTokens, 0)
        let empty = try decode(#"{"model":"","data":[{"index":0,"embedding":[1,2]}]}"#, inputs: 1, requestedModel: "asked")
        XCTAssertEqual(empty.model, "asked")
    }

    func testVectorsComeOutUnitLength() throws {
        let response = try decode("""
            {"data":[{"index":0,"embedding":[0.25,-1.5,3,7.75,0.001]},{"index":1,"embedding":[120,-45,0.5,9,1e-3]}]}
            """, inputs: 2)
        for embedding in response.embeddings {
            let norm = embedding.values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
            XCTAssertEqual(embedding.cosine(embedding), 1, accuracy: 1e-5)
        }
        // Scaling keeps the direction: the components keep their proportions.
        let first = response.embeddings[0].values
        XCTAssertEqual(Double(first[3] / first[2]), 7.75 / 3, accuracy: 1e-5)
    }

    func testMoreOrFewerEmbeddingsThanInputsAreInvalid() {
        let two = #"{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[0,1]}]}"#
        assertInvalidResponse(two, inputs: 3)
        assertInvalidResponse(two, inputs: 1)
        XCTAssertNil(failure(two, inputs: 2), "the same body is fine for two inputs")
    }

    func testNonNumericValuesAreInvalid() {
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[0.1,"0.2",0.3]}]}"#, inputs: 1)
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[0.1,null,0.3]}]}"#, inputs: 1)
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":"AACAPwAAAEA="}]}"#, inputs: 1)
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[]}]}"#, inputs: 1)
    }

    func testRepeatedOrOutOfRangeIndexIsInvalid() {
        assertInvalidResponse(#"{"data":[{"index":1,"embedding":[1,0]},{"index":1,"embedding":[0,1]}]}"#, inputs: 2)
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[1,0]},{"index":2,"embedding":[0,1]}]}"#, inputs: 2)
        assertInvalidResponse(#"{"data":[{"index":-1,"embedding":[1,0]}]}"#, inputs: 1)
    }

    func testBodiesThatAreNotAnEmbeddingsListAreInvalid() {
        assertInvalidResponse("upstream connect error", inputs: 1)
        assertInvalidResponse("", inputs: 1)
        assertInvalidResponse(#"{"object":"list"}"#, inputs: 1)
        assertInvalidResponse(#"{"data":{"index":0,"embedding":[1]}}"#, inputs: 1)
    }

    func testZeroVectorsAndMixedLengthsAreInvalid() {
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[0,0,0]}]}"#, inputs: 1)
        assertInvalidResponse(#"{"data":[{"index":0,"embedding":[1,0,0]},{"index":1,"embedding":[0,1]}]}"#, inputs: 2)
    }

    func testErrorKindsAreTheShortWordsMetricsRecord() {
        XCTAssertEqual(EmbeddingsError.notConfigured.kind, "not_configured")
        XCTAssertEqual(EmbeddingsError.timeout.kind, "timeout")
        XCTAssertEqual(EmbeddingsError.connection("refused").kind, "connection")
        XCTAssertEqual(EmbeddingsError.http(status: 503).kind, "http_5xx")
        XCTAssertEqual(EmbeddingsError.http(status: 401).kind, "http_401")
        XCTAssertEqual(EmbeddingsError.invalidResponse("x").kind, "invalid_response")
    }

    func testEmbeddingRejectsEmptyAndZeroVectorsAndComparesOnlyEqualDimensions() throws {
        XCTAssertNil(Embedding([]))
        XCTAssertNil(Embedding([0, 0]))
        let a = try XCTUnwrap(Embedding([1, 1, 0]))
        let b = try XCTUnwrap(Embedding([1, 0, 0]))
        XCTAssertEqual(a.cosine(b), 0.5.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(a.cosine(try XCTUnwrap(Embedding([1, 1]))), 0, "different dimensions are not comparable")
    }
}
