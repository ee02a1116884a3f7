import JSON

/// The settings rows as stored, whole: the `conversation_settings` JSON (with the original app's own
/// keys, which this product must never drop), the `realtime_coaching_service` JSON, and whether an
/// LLM key is stored. Edits are merged into these documents, not rebuilt from the typed settings, so
/// keys this version does not know survive a save.
public struct SettingsDocuments: Sendable, Equatable {
    /// The whole `conversation_settings` value; nil when the row is absent or not a JSON object.
    public var conversationSettings: JSONValue?
    /// The row exists but holds something other than a JSON object (a save replaces it).
    public var conversationSettingsUnreadable = false
    /// The whole `realtime_coaching_service` value; nil when absent or not a JSON object.
    public var service: JSONValue?
    public var apiKeySet = false
    public var embeddingsKeySet = false

    public init(conversationSettings: JSONValue? = nil, service: JSONValue? = nil, apiKeySet: Bool = false) {
        self.conversationSettings = conversationSettings
        self.service = service
        self.apiKeySet = apiKeySet
    }

    /// The typed settings every process runs with (lenient reading, defaults for what is missing).
    public var coaching: CoachingSettings { CoachingSettings(json: conversationSettings?[SettingsSchema.coachingSection]) }
    public var serviceSettings: ServiceSettings { ServiceSettings(json: service) }

    /// What an admin may see: every setting's effective value, and of the secret only whether it is set.
    public var adminJSON: JSONValue {
        .object([
            (SettingsSchema.coachingSection, coaching.json),
            (SettingsSchema.serviceSection, serviceSettings.json),
            ("api_key_set", .bool(apiKeySet)),
            ("embeddings_api_key_set", .bool(embeddingsKeySet)),
        ])
    }

    /// The documents with `change` merged in: only the changed keys are replaced; other keys of both
    /// rows (and of the `realtime_coaching` object) stay as they were.
    public func applying(_ change: SettingsChange) -> SettingsDocuments {
        var result = self
        if !change.coaching.isEmpty {
            let base: JSONValue = conversationSettings ?? .object([])
            var inner: JSONValue = base[SettingsSchema.coachingSection] ?? .object([])
            if inner.objectValue == nil { inner = .object([]) }
            for (key, value) in change.coaching { inner = inner.setting(key, to: value) }
            result.conversationSettings = base.setting(SettingsSchema.coachingSection, to: inner)
            result.conversationSettingsUnreadable = false
        }
        if !change.service.isEmpty {
            var document: JSONValue = service ?? .object([])
            for (key, value) in change.service { document = document.setting(key, to: value) }
            result.service = document
        }
        switch change.apiKey {
        case .keep: break
        case .set: result.apiKeySet = true
        case .clear: result.apiKeySet = false
        }
        switch change.embeddingsKey {
        case .keep: break
        case .set: result.embeddingsKeySet = true
        case .clear: result.embeddingsKeySet = false
        }
        return result
    }
}
