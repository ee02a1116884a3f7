import JSON

/// Every setting an admin may change, in the order the settings page shows them. The ranges are the
/// SPEC's (§5) where it names one and otherwise the bounds `CoachingSettings` / `ServiceSettings`
/// clamp to when reading, so a value the page accepts is never silently changed on the way in.
public enum SettingsSchema {
    /// The original keys: the `realtime_coaching` object of the `conversation_settings` row.
    public static let coachingSection = "realtime_coaching"
    /// This product's keys: the `realtime_coaching_service` row.
    public static let serviceSection = "service"

    public static let coaching: [SettingsField] = [
        SettingsField("enabled", .bool),
        SettingsField("model", .text(maxLength: 50)), // realtime_coaching_hints.model_used is VARCHAR(50)
        SettingsField("temperature", .number(0...1)),
        // The original UI offered 1–60; higher volumes need more, up to what the limiter reads.
        SettingsField("max_analyses_per_minute", .integer(1...100_000)),
        SettingsField("min_interval_between_analyses", .number(0...3600)),
        SettingsField("use_queue", .bool),
        SettingsField("queue_processing_delay", .number(0...3600)),
        SettingsField("max_queue_size", .integer(1...10_000_000)),
        SettingsField("analyze_only_client_messages", .bool),
        SettingsField("min_message_length", .integer(0...10_000)),
        SettingsField("skip_if_agent_typing", .bool),
        SettingsField("use_cache", .bool),
        SettingsField("cache_ttl_minutes", .integer(0...525_600)),
        SettingsField("cache_similarity_threshold", .number(0.5...1)),
        SettingsField("cost_limit_per_hour", .number(0...1_000_000)),
        SettingsField("cost_limit_per_day", .number(0...1_000_000)),
        SettingsField("hint_types", .hintTypes),
        SettingsField("auto_show_hint", .bool),
        SettingsField("hint_display_duration", .integer(0...3600)),
        SettingsField("play_sound", .bool),
    ]

    public static let service: [SettingsField] = [
        SettingsField("language", .choice(["pt-BR", "en"])),
        SettingsField("provider", .choice(ServiceSettings.Provider.allCases.map(\.rawValue))),
        SettingsField("base_url", .url),
        SettingsField("max_tokens", .integer(16...4096)),
        SettingsField("connect_timeout_ms", .integer(100...60_000)),
        SettingsField("total_timeout_ms", .integer(500...300_000)),
        SettingsField("context_messages", .integer(0...50)),
        SettingsField("budget_fallback", .choice(ServiceSettings.BudgetFallback.allCases.map(\.rawValue))),
        SettingsField("prefilter", .bool),
        SettingsField("local_answer_min_confidence", .number(0...1)),
        SettingsField("watch_messages_table", .bool),
        SettingsField("max_message_age_seconds", .integer(5...86_400)),
        SettingsField("typing_defer_max_seconds", .integer(0...600)),
        SettingsField("typing_fresh_seconds", .integer(1...600)),
        SettingsField("max_attempts", .integer(1...10)),
        SettingsField("prices", .prices),
        SettingsField("unknown_model_price", .price),
        SettingsField("embeddings_base_url", .optionalURL),
        SettingsField("embeddings_model", .text(maxLength: 100)),
        SettingsField("embeddings_timeout_ms", .integer(20...10_000)),
        SettingsField("similarity_cache", .bool),
        SettingsField("similarity_min_cosine", .number(0.5...1)),
    ]

    /// The secret: accepted on write, never returned (only whether one is set).
    public static let apiKeyField = "openai_api_key"
    /// `true` removes the stored key (an empty `openai_api_key` means "keep", so clearing needs its own word).
    public static let clearAPIKeyField = "clear_openai_api_key"
    /// The embeddings server's key, write-only like the LLM key (stored in its own row).
    public static let embeddingsKeyField = "embeddings_api_key"
    public static let clearEmbeddingsKeyField = "clear_embeddings_api_key"

    public static var json: JSONValue {
        .object([
            (coachingSection, .array(coaching.map(\.json))),
            (serviceSection, .array(service.map(\.json))),
        ])
    }
}
