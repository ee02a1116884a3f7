import JSON

/// Checks an analyser's answer against the output contract before anything is saved or shown:
/// `hint_type` one of the enabled types, `hint_text` 1–280 characters, 0–3 suggestions of at most
/// 300 characters, control characters stripped. Model output is untrusted text.
public enum OutputValidator {
    public struct Invalid: Error, Equatable, Sendable {
        public let reason: String
    }

    public static let maxHintCharacters = 280
    public static let maxSuggestions = 3
    public static let maxSuggestionCharacters = 300

    /// Parses the model's message content (a JSON object) and validates it.
    public static func parse(_ content: String, enabledTypes: [HintType]) throws(Invalid) -> AnalysisOutput {
        guard content.utf8.count <= 64 * 1024 else { throw Invalid(reason: "output larger than 64 KiB") }
        var text = content.trimmingSpaces
        if text.hasPrefix("```") {
            text = String(text.drop(while: { $0 != "\n" }).dropFirst())
            if text.hasSuffix("```") { text = String(text.dropLast(3)) }
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(text, maxDepth: 8)
        } catch {
            throw Invalid(reason: "output is not JSON")
        }
        guard case .object = json else { throw Invalid(reason: "output is not a JSON object") }
        guard let hasHint = json["has_hint"]?.boolValue else { throw Invalid(reason: "has_hint missing or not a boolean") }
        if !hasHint { return .none }
        guard let typeName = json["hint_type"]?.stringValue, let type = HintType(rawValue: typeName) else {
            throw Invalid(reason: "hint_type missing or unknown")
        }
        let raw = AnalysisOutput(
            hasHint: true, hintType: type,
            hintText: json["hint_text"]?.stringValue ?? "",
            suggestions: try suggestions(json["suggestions"]))
        return try validate(raw, enabledTypes: enabledTypes)
    }

    /// Validates a structured answer (from any analyser) and returns its cleaned form.
    public static func validate(_ output: AnalysisOutput, enabledTypes: [HintType]) throws(Invalid) -> AnalysisOutput {
        guard output.hasHint else { return .none }
        guard let type = output.hintType, enabledTypes.contains(type) else {
            throw Invalid(reason: "hint_type is not an enabled type")
        }
        let text = clean(output.hintText)
        guard !text.isEmpty, text.count <= maxHintCharacters else {
            throw Invalid(reason: "hint_text must have 1–\(maxHintCharacters) characters")
        }
        guard output.suggestions.count <= maxSuggestions else { throw Invalid(reason: "more than \(maxSuggestions) suggestions") }
        let suggestions = output.suggestions.map(clean).filter { !$0.isEmpty }
        guard suggestions.allSatisfy({ $0.count <= maxSuggestionCharacters }) else {
            throw Invalid(reason: "a suggestion is longer than \(maxSuggestionCharacters) characters")
        }
        return AnalysisOutput(hasHint: true, hintType: type, hintText: text, suggestions: suggestions)
    }

    private static func suggestions(_ value: JSONValue?) throws(Invalid) -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw Invalid(reason: "suggestions is not an array") }
        var texts: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw Invalid(reason: "a suggestion is not a string") }
            texts.append(text)
        }
        return texts
    }

    /// Removes control characters (keeping none: hints are single paragraphs) and trims.
    static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                && scalar != "\u{200D}" {
                if scalar == "\n" || scalar == "\t" { scalars.append(" ") }
                continue
            }
            scalars.append(scalar)
        }
        return String(scalars).trimmingSpaces
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
