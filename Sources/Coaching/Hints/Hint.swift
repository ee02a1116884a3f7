import JSON

/// One row of `realtime_coaching_hints` as the API shows it. Column types are fixed here once so
/// that every route returns the same shapes (`suggestions` always an array, `cost` a number).
public struct Hint: Sendable, Equatable {
    public var id: Int
    public var conversationID: Int
    public var agentID: Int
    public var messageID: Int?
    public var hintType: String
    public var hintText: String
    public var suggestions: [String]
    public var modelUsed: String?
    public var tokensUsed: Int
    public var cost: Double
    public var viewedAt: String?
    public var feedback: String?
    public var createdAt: String
    /// Text of the analysed customer message, when the route asks for it.
    public var messageBody: String?
    /// `created_at` as Unix time, when the query read it (time-window filtering in caches).
    public var createdAtEpoch: Int?

    public func json(language: String, includeMessageBody: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .int(id)),
            ("conversation_id", .int(conversationID)),
            ("agent_id", .int(agentID)),
            ("message_id", .optional(messageID)),
            ("hint_type", .string(hintType)),
            ("hint_text", .string(hintText)),
            ("suggestions", .array(suggestions.map(JSONValue.string))),
            ("model_used", .optional(modelUsed)),
            ("tokens_used", .int(tokensUsed)),
            ("cost", .double(cost)),
            ("viewed_at", .optional(viewedAt)),
            ("feedback", .optional(feedback)),
            ("created_at", .string(createdAt)),
            ("label", .string(HintType.label(for: hintType, language: language))),
        ]
        if includeMessageBody {
            members.append(("message_body", .optional(messageBody)))
        }
        return .object(members)
    }

    /// Parses the JSON column leniently: anything that is not an array of strings reads as `[]`
    /// rather than breaking the agent's screen.
    static func parseSuggestions(_ raw: String?) -> [String] {
        guard let raw, let value = try? JSONParser.parse(raw), let items = value.arrayValue else { return [] }
        return items.compactMap { item in
            switch item {
            case .string(let text): return text
            case .object: return item["text"]?.stringValue
            default: return nil
            }
        }
    }
}
