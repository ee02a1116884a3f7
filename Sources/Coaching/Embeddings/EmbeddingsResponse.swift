import JSON

/// The body of an OpenAI-compatible embeddings answer: `data[i].embedding` (a float array) for
/// each input, put back in input order by `data[i].index`, and the billed tokens.
public struct EmbeddingsResponse: Sendable, Equatable {
    public var embeddings: [Embedding]
    /// The model the server says answered (the requested one when it does not say).
    public var model: String
    public var promptTokens: Int

    public static func decode(_ body: [UInt8], inputs: Int, requestedModel: String) throws(EmbeddingsError) -> EmbeddingsResponse {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body, maxDepth: 6)
        } catch {
            throw .invalidResponse("body is not JSON (\(error.message))")
        }
        guard let data = document["data"]?.arrayValue else { throw .invalidResponse("no data array") }
        guard data.count == inputs else { throw .invalidResponse("\(data.count) embeddings for \(inputs) inputs") }
        var slots = [Embedding?](repeating: nil, count: inputs)
        var dimensions: Int?
        for (position, item) in data.enumerated() {
            let index = item["index"]?.intValue ?? position
            guard slots.indices.contains(index), slots[index] == nil else { throw .invalidResponse("bad or repeated index \(index)") }
            guard let numbers = item["embedding"]?.arrayValue, !numbers.isEmpty else {
                throw .invalidResponse("data[\(position)].embedding is not a float array")
            }
            var raw: [Float] = []
            raw.reserveCapacity(numbers.count)
            for number in numbers {
                guard let value = number.doubleValue, value.isFinite else { throw .invalidResponse("non-numeric embedding value") }
                raw.append(Float(value))
            }
            if let dimensions, dimensions != raw.count { throw .invalidResponse("embeddings of different lengths") }
            dimensions = raw.count
            guard let embedding = Embedding(raw) else { throw .invalidResponse("zero embedding") }
            slots[index] = embedding
        }
        let model = document["model"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? requestedModel
        let tokens = max(0, document["usage"]?["prompt_tokens"]?.intValue ?? 0)
        return EmbeddingsResponse(embeddings: slots.compactMap { $0 }, model: model, promptTokens: tokens)
    }
}
