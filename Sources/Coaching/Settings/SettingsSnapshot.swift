/// Both settings rows (and the LLM key) as read at one moment.
public struct SettingsSnapshot: Sendable, Equatable {
    public var coaching: CoachingSettings
    public var service: ServiceSettings
    /// Secret: never serialised, never logged.
    public var openAIKey: String?
    /// Secret, like `openAIKey`: the embeddings server's key from its settings row.
    public var embeddingsKey: String?

    public init(coaching: CoachingSettings = CoachingSettings(), service: ServiceSettings = ServiceSettings(),
                openAIKey: String? = nil) {
        self.coaching = coaching
        self.service = service
        self.openAIKey = openAIKey
    }
}
