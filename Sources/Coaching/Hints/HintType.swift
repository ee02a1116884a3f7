import JSON

/// The seven situations a hint can name, with the labels agents see.
public enum HintType: String, Sendable, CaseIterable {
    case objection
    case opportunity
    case question
    case negativeSentiment = "negative_sentiment"
    case buyingSignal = "buying_signal"
    case closingOpportunity = "closing_opportunity"
    case escalationNeeded = "escalation_needed"

    public func label(language: String) -> String {
        let portuguese = language.lowercased().hasPrefix("pt")
        switch self {
        case .objection: return portuguese ? "Objeção" : "Objection"
        case .opportunity: return portuguese ? "Oportunidade" : "Opportunity"
        case .question: return portuguese ? "Pergunta importante" : "Key question"
        case .negativeSentiment: return portuguese ? "Cliente insatisfeito" : "Unhappy customer"
        case .buyingSignal: return portuguese ? "Sinal de compra" : "Buying signal"
        case .closingOpportunity: return portuguese ? "Momento de fechar" : "Time to close"
        case .escalationNeeded: return portuguese ? "Escalar" : "Escalate"
        }
    }

    /// Every type with its labels in both languages: the one source the admin pages read, so the
    /// words on a chart are the words on the agent's card.
    public static var catalog: JSONValue {
        .array(allCases.map { type in
            .object([("type", .string(type.rawValue)),
                     ("labels", .object([("pt", .string(type.label(language: "pt-BR"))),
                                         ("en", .string(type.label(language: "en")))]))])
        })
    }

    /// Label for a stored type string; unknown legacy types keep their raw name.
    public static func label(for raw: String, language: String) -> String {
        HintType(rawValue: raw)?.label(language: language) ?? raw
    }
}
