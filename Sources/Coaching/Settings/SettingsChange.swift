import JSON

/// A checked edit of the settings: the values to store (already normalised, in schema order) for the
/// keys the admin sent, and what to do with the stored LLM key. Keys not sent are not here, so they
/// keep their stored values.
public struct SettingsChange: Sendable, Equatable {
    public enum APIKey: Sendable, Equatable {
        case keep
        /// Secret: never logged, never echoed.
        case set(String)
        case clear
    }

    public var coaching: [(String, JSONValue)] = []
    public var service: [(String, JSONValue)] = []
    public var apiKey = APIKey.keep
    public var embeddingsKey = APIKey.keep

    public init() {}

    public var isEmpty: Bool { coaching.isEmpty && service.isEmpty && apiKey == .keep && embeddingsKey == .keep }

    /// The keys that change, as `section.key` (for the audit log line; never values).
    public var changedFields: [String] {
        coaching.map { "\(SettingsSchema.coachingSection).\($0.0)" } + service.map { "\(SettingsSchema.serviceSection).\($0.0)" }
            + (apiKey == .keep ? [] : [SettingsSchema.apiKeyField])
            + (embeddingsKey == .keep ? [] : [SettingsSchema.embeddingsKeyField])
    }

    public static func == (lhs: SettingsChange, rhs: SettingsChange) -> Bool {
        lhs.apiKey == rhs.apiKey && lhs.embeddingsKey == rhs.embeddingsKey && JSONValue.object(lhs.coaching) == JSONValue.object(rhs.coaching)
            && JSONValue.object(lhs.service) == JSONValue.object(rhs.service)
    }
}
