/// The two ratings an agent can give a hint (the original column's values).
public enum HintFeedback: String, Sendable, CaseIterable {
    case helpful
    case notHelpful = "not_helpful"
}
