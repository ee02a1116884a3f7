/// One analysis as the LLM is asked it: the rendered prompt, the chat request and the token estimate
/// the budget reserves for. The worker and experiment replay both build it here, so a replayed
/// variant is asked exactly what live messages are asked.
public struct AnalysisRequest: Sendable {
    public let chat: ChatCompletionRequest
    /// Prompt tokens guessed from the text (about three bytes a token, plus the chat framing).
    public let promptTokenEstimate: Int

    public init(template: PromptTemplate, input: AnalysisInput, model: String, temperature: Double, maxTokens: Int) {
        let rendered = template.render(input)
        promptTokenEstimate = (rendered.system.utf8.count + rendered.user.utf8.count) / 3 + 16
        chat = ChatCompletionRequest(
            model: model,
            messages: [ChatMessage(role: "system", content: rendered.system),
                       ChatMessage(role: "user", content: rendered.user)],
            temperature: temperature, maxTokens: maxTokens, jsonResponseFormat: true)
    }
}
