import Foundation
import JSON

/// Settings this product adds. They live in their own `settings` row (`realtime_coaching_service`)
/// because the original settings page rewrites the whole `conversation_settings` blob on save and
/// would erase keys it does not know. Out-of-range values are clamped when read; the admin API
/// rejects them with per-field errors before they are stored (`SettingsValidation`).
public struct ServiceSettings: Sendable, Equatable {
    public static let rowKey = "realtime_coaching_service"

    public enum Provider: String, Sendable, CaseIterable {
        /// The OpenAI-compatible server when a key is configured, else the local analyser.
        case auto, openai, local
    }

    public enum BudgetFallback: String, Sendable, CaseIterable {
        case local, skip
    }

    /// Language of labels and of the local analyser's hints (`pt-BR` or `en`).
    public var language = "pt-BR"
    public var provider = Provider.auto
    public var baseURL = "https://api.openai.com/v1"
    public var maxTokens = 300
    public var connectTimeoutMilliseconds = 2000
    public var totalTimeoutMilliseconds = 15000
    public var contextMessages = 10
    public var budgetFallback = BudgetFallback.local
    /// Run the local analyser first and skip the LLM when it finds no situation.
    public var prefilter = false
    /// With the pre-filter and embeddings on, a situation the classifier gives at least this
    /// probability gets the local analyser's templated hint instead of an LLM call; 0 never does.
    /// Off by default: it trades the LLM's tailored replies for cost. `coaching train-local`
    /// prints the cross-validated precision per value (0.80 reaches 0.95 with the shipped weights).
    public var localAnswerMinConfidence = 0.0
    /// Door 3: queue customer messages found in the `messages` table. On by default, so channels
    /// that never call a listener or the API are coached too; the intake table de-duplicates it
    /// with the other doors, and it starts at the table's end, so turning it on replays no history.
    public var watchMessagesTable = true
    public var maxMessageAgeSeconds = 600
    public var typingDeferMaxSeconds = 30
    public var typingFreshSeconds = 15
    public var maxAttempts = 3
    public var priceOverrides: [String: PriceTable.Price] = [:]
    public var unknownModelPrice = PriceTable.Price(input: 10, output: 30)
    /// An OpenAI-compatible embeddings server (`…/v1`); empty turns embeddings off, and the local
    /// analyser then decides by its rules alone and the similarity cache is not used.
    public var embeddingsBaseURL = ""
    public var embeddingsModel = "multilingual-e5-small"
    public var embeddingsTimeoutMilliseconds = 500
    /// Reuse the hint of a near-duplicate earlier message (same scope) when no exact cache entry exists.
    public var similarityCache = true
    /// Cosine similarity a cached message needs to count as the same message. The original
    /// `cache_similarity_threshold` (0.5–1, default 0.85) was meant for text overlap; embedding
    /// models put unrelated chat messages above 0.85, so this needs its own, stricter scale.
    public var similarityMinCosine = 0.96

    public init() {}

    public var embeddings: EmbeddingsConfiguration {
        EmbeddingsConfiguration(baseURL: embeddingsBaseURL, model: embeddingsModel, timeoutMilliseconds: embeddingsTimeoutMilliseconds)
    }

    public init(json: JSONValue?) {
        guard let json, case .object = json else { return }
        if let language = json["language"]?.stringValue, ["pt-br", "pt", "en"].contains(language.lowercased()) {
            self.language = language
        }
        if let text = json["provider"]?.stringValue, let value = Provider(rawValue: text) { provider = value }
        if let text = json["base_url"]?.stringValue, text.hasPrefix("http://") || text.hasPrefix("https://") {
            baseURL = text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            CoachingSettings.number(json[key]).map { Int(min(max($0, Double(range.lowerBound)), Double(range.upperBound))) }
        }
        maxTokens = int("max_tokens", 16...4096) ?? maxTokens
        connectTimeoutMilliseconds = int("connect_timeout_ms", 100...60_000) ?? connectTimeoutMilliseconds
        totalTimeoutMilliseconds = int("total_timeout_ms", 500...300_000) ?? totalTimeoutMilliseconds
        contextMessages = int("context_messages", 0...50) ?? contextMessages
        if let text = json["budget_fallback"]?.stringValue, let value = BudgetFallback(rawValue: text) { budgetFallback = value }
        prefilter = CoachingSettings.bool(json["prefilter"]) ?? prefilter
        if let value = CoachingSettings.number(json["local_answer_min_confidence"]) {
            localAnswerMinConfidence = min(max(value, 0), 1)
        }
        watchMessagesTable = CoachingSettings.bool(json["watch_messages_table"]) ?? watchMessagesTable
        maxMessageAgeSeconds = int("max_message_age_seconds", 5...86_400) ?? maxMessageAgeSeconds
        typingDeferMaxSeconds = int("typing_defer_max_seconds", 0...600) ?? typingDeferMaxSeconds
        typingFreshSeconds = int("typing_fresh_seconds", 1...600) ?? typingFreshSeconds
        maxAttempts = int("max_attempts", 1...10) ?? maxAttempts
        if let prices = json["prices"]?.objectValue {
            for (model, value) in prices {
                if let input = CoachingSettings.number(value["input"]), let output = CoachingSettings.number(value["output"]),
                   input >= 0, output >= 0 {
                    priceOverrides[model] = PriceTable.Price(input: input, output: output)
                }
            }
        }
        if let text = json["embeddings_base_url"]?.stringValue {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let lowered = trimmed.lowercased()
            if trimmed.isEmpty || lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
                embeddingsBaseURL = trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed
            }
        }
        if let text = json["embeddings_model"]?.stringValue, !text.isEmpty { embeddingsModel = text }
        embeddingsTimeoutMilliseconds = int("embeddings_timeout_ms", 20...10_000) ?? embeddingsTimeoutMilliseconds
        similarityCache = CoachingSettings.bool(json["similarity_cache"]) ?? similarityCache
        if let value = CoachingSettings.number(json["similarity_min_cosine"]) { similarityMinCosine = min(max(value, 0.5), 1) }
        if let value = json["unknown_model_price"], let input = CoachingSettings.number(value["input"]),
           let output = CoachingSettings.number(value["output"]), input >= 0, output >= 0 {
            unknownModelPrice = PriceTable.Price(input: input, output: output)
        }
    }

    public var priceTable: PriceTable { PriceTable(overrides: priceOverrides, unknownModelPrice: unknownModelPrice) }

    public var json: JSONValue {
        .object([
            ("language", .string(language)),
            ("provider", .string(provider.rawValue)),
            ("base_url", .string(baseURL)),
            ("max_tokens", .int(maxTokens)),
            ("connect_timeout_ms", .int(connectTimeoutMilliseconds)),
            ("total_timeout_ms", .int(totalTimeoutMilliseconds)),
            ("context_messages", .int(contextMessages)),
            ("budget_fallback", .string(budgetFallback.rawValue)),
            ("prefilter", .bool(prefilter)),
            ("local_answer_min_confidence", .double(localAnswerMinConfidence)),
            ("watch_messages_table", .bool(watchMessagesTable)),
            ("max_message_age_seconds", .int(maxMessageAgeSeconds)),
            ("typing_defer_max_seconds", .int(typingDeferMaxSeconds)),
            ("typing_fresh_seconds", .int(typingFreshSeconds)),
            ("max_attempts", .int(maxAttempts)),
            ("prices", .object(priceOverrides.keys.sorted().map { model in
                (model, priceOverrides[model].map(Self.priceJSON) ?? .null)
            })),
            ("unknown_model_price", Self.priceJSON(unknownModelPrice)),
            ("embeddings_base_url", .string(embeddingsBaseURL)),
            ("embeddings_model", .string(embeddingsModel)),
            ("embeddings_timeout_ms", .int(embeddingsTimeoutMilliseconds)),
            ("similarity_cache", .bool(similarityCache)),
            ("similarity_min_cosine", .double(similarityMinCosine)),
        ])
    }

    private static func priceJSON(_ price: PriceTable.Price) -> JSONValue {
        .object([("input", .double(price.inputPerMillion)), ("output", .double(price.outputPerMillion))])
    }
}

extension LLMClientConfiguration {
    /// The client the service settings describe, with `apiKey`; other knobs keep their defaults.
    public init(service: ServiceSettings, apiKey: String) {
        self.init()
        baseURL = service.baseURL
        self.apiKey = apiKey
        connectTimeoutMilliseconds = service.connectTimeoutMilliseconds
        totalTimeoutMilliseconds = service.totalTimeoutMilliseconds
    }
}
