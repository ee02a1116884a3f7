import JSON

/// One editable setting and the values it accepts. The admin API checks a change with it and serves
/// it to the settings page, so the page's input constraints and the server's rules are one list and
/// cannot drift apart.
public struct SettingsField: Sendable {
    public enum Kind: Sendable {
        case bool
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// Printable text of 1…`maxLength` characters.
        case text(maxLength: Int)
        case choice([String])
        /// An `http://` or `https://` address (the OpenAI-compatible server).
        case url
        /// Like `url`, or empty for "off" (the embeddings server).
        case optionalURL
        /// `{"objection": true, …}`: one flag per hint type.
        case hintTypes
        /// `{"input": USD, "output": USD}` per 1M tokens.
        case price
        /// `{"<model>": {"input": …, "output": …}, …}`: replaces every override at once, so an
        /// override can be removed by leaving it out.
        case prices
    }

    public let key: String
    public let kind: Kind

    public init(_ key: String, _ kind: Kind) {
        self.key = key
        self.kind = kind
    }

    /// Most models cost well under this per 1M tokens; a larger number is a typo (cents vs dollars).
    static let maxPrice = 10_000.0
    /// `coaching_llm_calls.model` and `coaching_cost_daily.model` are VARCHAR(64).
    static let maxModelNameLength = 64

    /// What the settings page needs to build an input: type, bounds, options.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("key", .string(key))]
        switch kind {
        case .bool:
            members.append(("type", .string("bool")))
        case .integer(let range):
            members += [("type", .string("integer")), ("min", .int(range.lowerBound)), ("max", .int(range.upperBound))]
        case .number(let range):
            members += [("type", .string("number")), ("min", .double(range.lowerBound)), ("max", .double(range.upperBound))]
        case .text(let maxLength):
            members += [("type", .string("text")), ("max_length", .int(maxLength))]
        case .choice(let options):
            members += [("type", .string("choice")), ("options", .array(options.map { .string($0) }))]
        case .url:
            members += [("type", .string("url")), ("max_length", .int(SettingsValidation.maxURLLength))]
        case .optionalURL:
            members += [("type", .string("url")), ("max_length", .int(SettingsValidation.maxURLLength)), ("optional", .bool(true))]
        case .hintTypes:
            members += [("type", .string("hint_types")), ("options", .array(HintType.allCases.map { .string($0.rawValue) }))]
        case .price:
            members += [("type", .string("price")), ("min", .double(0)), ("max", .double(Self.maxPrice))]
        case .prices:
            members += [("type", .string("prices")), ("min", .double(0)), ("max", .double(Self.maxPrice)),
                        ("max_length", .int(Self.maxModelNameLength))]
        }
        return .object(members)
    }
}
