import Foundation
import JSON

/// The original `realtime_coaching` settings object (inside the `conversation_settings` row), with
/// the original defaults. Values arrive from an admin UI that stored numbers and booleans in several
/// spellings, so reading is lenient and clamps to the allowed ranges instead of failing the request.
public struct CoachingSettings: Sendable, Equatable {
    public var enabled = false
    public var model = "gpt-3.5-turbo"
    public var temperature = 0.5
    public var maxAnalysesPerMinute = 10
    public var minIntervalBetweenAnalyses = 10.0
    public var useQueue = true
    public var queueProcessingDelay = 3.0
    public var maxQueueSize = 100
    public var analyzeOnlyClientMessages = true
    public var minMessageLength = 10
    public var skipIfAgentTyping = true
    public var useCache = true
    public var cacheTTLMinutes = 60
    public var cacheSimilarityThreshold = 0.85
    public var costLimitPerHour = 1.0
    public var costLimitPerDay = 10.0
    public var hintTypes: [HintType: Bool] = Dictionary(uniqueKeysWithValues: HintType.allCases.map { ($0, true) })
    public var autoShowHint = true
    public var hintDisplayDuration = 30
    public var playSound = false

    public init() {}

    public var enabledHintTypes: [HintType] { HintType.allCases.filter { hintTypes[$0] ?? false } }

    public init(json: JSONValue?) {
        guard let json, case .object = json else { return }
        enabled = Self.bool(json["enabled"]) ?? enabled
        if let text = json["model"]?.stringValue, !text.isEmpty, text.count <= 50 { model = text }
        temperature = Self.number(json["temperature"]).map { min(max($0, 0), 1) } ?? temperature
        maxAnalysesPerMinute = Self.number(json["max_analyses_per_minute"]).map { Int(min(max($0, 1), 100_000)) } ?? maxAnalysesPerMinute
        minIntervalBetweenAnalyses = Self.number(json["min_interval_between_analyses"]).map { min(max($0, 0), 3600) } ?? minIntervalBetweenAnalyses
        useQueue = Self.bool(json["use_queue"]) ?? useQueue
        queueProcessingDelay = Self.number(json["queue_processing_delay"]).map { min(max($0, 0), 3600) } ?? queueProcessingDelay
        maxQueueSize = Self.number(json["max_queue_size"]).map { Int(min(max($0, 1), 10_000_000)) } ?? maxQueueSize
        analyzeOnlyClientMessages = Self.bool(json["analyze_only_client_messages"]) ?? analyzeOnlyClientMessages
        minMessageLength = Self.number(json["min_message_length"]).map { Int(min(max($0, 0), 10_000)) } ?? minMessageLength
        skipIfAgentTyping = Self.bool(json["skip_if_agent_typing"]) ?? skipIfAgentTyping
        useCache = Self.bool(json["use_cache"]) ?? useCache
        cacheTTLMinutes = Self.number(json["cache_ttl_minutes"]).map { Int(min(max($0, 0), 525_600)) } ?? cacheTTLMinutes
        cacheSimilarityThreshold = Self.number(json["cache_similarity_threshold"]).map { min(max($0, 0.5), 1) } ?? cacheSimilarityThreshold
        costLimitPerHour = Self.number(json["cost_limit_per_hour"]).map { max($0, 0) } ?? costLimitPerHour
        costLimitPerDay = Self.number(json["cost_limit_per_day"]).map { max($0, 0) } ?? costLimitPerDay
        if let types = json["hint_types"] {
            for type in HintType.allCases {
                if let flag = Self.bool(types[type.rawValue]) { hintTypes[type] = flag }
            }
        }
        autoShowHint = Self.bool(json["auto_show_hint"]) ?? autoShowHint
        hintDisplayDuration = Self.number(json["hint_display_duration"]).map { Int(min(max($0, 0), 3600)) } ?? hintDisplayDuration
        playSound = Self.bool(json["play_sound"]) ?? playSound
    }

    /// The object the agent UI reads: every original key, typed, and nothing secret.
    public var json: JSONValue {
        .object([
            ("enabled", .bool(enabled)),
            ("model", .string(model)),
            ("temperature", .double(temperature)),
            ("max_analyses_per_minute", .int(maxAnalysesPerMinute)),
            ("min_interval_between_analyses", .double(minIntervalBetweenAnalyses)),
            ("use_queue", .bool(useQueue)),
            ("queue_processing_delay", .double(queueProcessingDelay)),
            ("max_queue_size", .int(maxQueueSize)),
            ("analyze_only_client_messages", .bool(analyzeOnlyClientMessages)),
            ("min_message_length", .int(minMessageLength)),
            ("skip_if_agent_typing", .bool(skipIfAgentTyping)),
            ("use_cache", .bool(useCache)),
            ("cache_ttl_minutes", .int(cacheTTLMinutes)),
            ("cache_similarity_threshold", .double(cacheSimilarityThreshold)),
            ("cost_limit_per_hour", .double(costLimitPerHour)),
            ("cost_limit_per_day", .double(costLimitPerDay)),
            ("hint_types", .object(HintType.allCases.map { ($0.rawValue, .bool(hintTypes[$0] ?? false)) })),
            ("auto_show_hint", .bool(autoShowHint)),
            ("hint_display_duration", .int(hintDisplayDuration)),
            ("play_sound", .bool(playSound)),
        ])
    }

    static func bool(_ value: JSONValue?) -> Bool? {
        switch value {
        case .bool(let flag)?: return flag
        case .int(let number)?: return number != 0
        case .double(let number)?: return number != 0
        case .string(let text)?:
            switch text.lowercased() {
            case "1", "true", "on", "yes": return true
            case "0", "false", "off", "no", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        case .string(let text)?: return Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        default: return nil
        }
    }
}
