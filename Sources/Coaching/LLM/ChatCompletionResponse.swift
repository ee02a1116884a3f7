import JSON

/// A successful chat completion: the assistant's text and what the call cost in tokens and time.
public struct ChatCompletionResponse: Sendable, Equatable {
    /// `choices[0].message.content`, as the model wrote it (not yet validated against any contract).
    public var content: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// The model that answered, as the server names it (the requested model when the server omits it).
    public var model: String
    /// From `submit` to the completion, including queueing, every attempt and the pauses between them.
    public var latencyMilliseconds: Int
    /// HTTP attempts made, 1 when the first one succeeded.
    public var attempts: Int

    public init(
        content: String,
        promptTokens: Int,
        completionTokens: Int,
        model: String,
        latencyMilliseconds: Int,
        attempts: Int
    ) {
        self.content = content
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.model = model
        self.latencyMilliseconds = latencyMilliseconds
        self.attempts = attempts
    }

    /// Reads a 2xx response body. Token usage is reported even when the content is unusable, because
    /// those tokens were paid for. Latency and attempts are left at 0 for the caller to fill in.
    public static func decode(_ body: [UInt8], requestedModel: String) -> Result<ChatCompletionResponse, LLMError> {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            return .failure(.invalidResponse("body is not JSON: \(error.message) at byte \(error.offset)", promptTokens: 0, completionTokens: 0))
        }
        let usage = document["usage"]
        let promptTokens = max(0, usage?["prompt_tokens"]?.intValue ?? 0)
        let completionTokens = max(0, usage?["completion_tokens"]?.intValue ?? 0)
        func invalid(_ reason: String) -> Result<ChatCompletionResponse, LLMError> {
            .failure(.invalidResponse(reason, promptTokens: promptTokens, completionTokens: completionTokens))
        }
        guard document.objectValue != nil else { return invalid("body is not a JSON object") }
        guard let choices = document["choices"]?.arrayValue, let first = choices.first else {
            return invalid("response has no choices")
        }
        guard let message = first["message"], message.objectValue != nil else {
            return invalid("choices[0].message is missing")
        }
        guard let content = message["content"]?.stringValue else {
            return invalid("choices[0].message.content is missing or not a string")
        }
        let model = document["model"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? requestedModel
        return .success(ChatCompletionResponse(
            content: content,
            promptTokens: promptTokens,
            completionTokens: completionTokens,
            model: model,
            latencyMilliseconds: 0,
            attempts: 0
        ))
    }
}
