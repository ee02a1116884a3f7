/// The output contract every analyser answers with (SPEC §4.9):
/// `{"has_hint":bool,"hint_type":…,"hint_text":…,"suggestions":[…]}`.
public struct AnalysisOutput: Sendable, Equatable {
    public var hasHint: Bool
    public var hintType: HintType?
    public var hintText: String
    public var suggestions: [String]

    public init(hasHint: Bool, hintType: HintType?, hintText: String, suggestions: [String]) {
        self.hasHint = hasHint
        self.hintType = hintType
        self.hintText = hintText
        self.suggestions = suggestions
    }

    public static let none = AnalysisOutput(hasHint: false, hintType: nil, hintText: "", suggestions: [])
}
