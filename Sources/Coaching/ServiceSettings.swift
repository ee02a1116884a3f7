/// Settings this product adds. They live in their own `settings` row (`realtime_coaching_service`)
/// because the original settings page rewrites the whole `conversation_settings` blob on save and
/// would erase keys it does not know.
public struct ServiceSettings: Sendable, Equatable {
    public static let rowKey = "realtime_coaching_service"

    /// Language of labels and of the local analyser's hints (`pt-BR` or `en`).
    public var language = "pt-BR"

    public init() {}

    public init(json: JSONValue?) {
        guard let json, case .object = json else { return }
        if let language = json["language"]?.stringValue, ["pt-br", "pt", "en"].contains(language.lowercased()) {
            self.language = language
        }
    }

    public var json: JSONValue {
        .object([("language", .string(language))])
    }
}
