/// One weighted phrase rule: when `pattern` occurs in the customer text it adds `weight` to the
/// score of its facet's hint type.
struct SituationRule: Sendable {
    enum Condition: Sendable {
        /// Counts wherever the phrase appears.
        case always
        /// Counts only in a sentence that asks something (a question mark, an interrogative opening
        /// word, or "queria saber…"): "o contrato tem multa?" is a question, "o contrato chegou" is not.
        case interrogative
        /// Counts only in a sentence that does not ask: "deal!" closes, "any chance of a deal?" does not.
        case statement
    }

    let facet: SituationFacet
    let weight: Double
    let pattern: PhrasePattern
    /// A negator shortly before the phrase cancels it: "não está caro", "not expensive at all".
    let negatable: Bool
    let condition: Condition
    /// Words that cancel this rule when they appear shortly before it ("sorry for the delay" is the
    /// customer apologising, not complaining).
    let blockers: Set<String>
    /// Words that must not occur inside the match ("talk to my manager" is not an escalation).
    let excludes: Set<String>

    var type: HintType { facet.type }

    init(_ pattern: String, _ weight: Double, _ facet: SituationFacet, negatable: Bool = false,
         when condition: Condition = .always, unlessAfter blockers: Set<String> = [], excluding excludes: Set<String> = []) {
        self.pattern = PhrasePattern(pattern)
        self.weight = weight
        self.facet = facet
        self.negatable = negatable
        self.condition = condition
        self.blockers = blockers
        self.excludes = excludes
    }
}
