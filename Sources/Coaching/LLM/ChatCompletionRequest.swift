import JSON

/// What is sent to `POST {baseURL}/chat/completions`.
public struct ChatCompletionRequest: Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double
    public var maxTokens: Int
    /// Asks for `response_format: {"type":"json_object"}` (the model must then answer with one JSON object).
    public var jsonResponseFormat: Bool

    public init(
        model: String,
        messages: [ChatMessage],
        temperature: Double = 0.5,
        maxTokens: Int = 300,
        jsonResponseFormat: Bool = true
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.jsonResponseFormat = jsonResponseFormat
    }

    /// The request body, in the field order of the OpenAI reference.
    public var jsonBody: JSONValue {
        var members: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("messages", .array(messages.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) })),
            ("temperature", .double(temperature)),
            ("max_tokens", .int(maxTokens)),
        ]
        if jsonResponseFormat {
            members.append(("response_format", .object([("type", .string("json_object"))])))
        }
        return .object(members)
    }
}
