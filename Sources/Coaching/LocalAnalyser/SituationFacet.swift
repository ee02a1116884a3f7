/// The specific shape of a situation (a price objection, a delivery question, a legal threat…),
/// used to write a hint that says something more useful than the type's name. Each facet belongs
/// to exactly one hint type.
enum SituationFacet: String, Sendable, CaseIterable {
    // objection
    case price, competitor, stall, authority, timing, doubt
    // opportunity
    case upsell, discount, crossSell, referral
    // question
    case pricing, contractTerms, delivery, product, dataSecurity, support, trial
    // negative_sentiment
    case delay, defect, poorService, billing, frustration
    // buying_signal
    case payment, purchase, nextStep
    // closing_opportunity
    case paperwork, decision, start, conditional
    // escalation_needed
    case manager, legal, cancellation, chargeback, publicExposure

    var type: HintType {
        switch self {
        case .price, .competitor, .stall, .authority, .timing, .doubt: return .objection
        case .upsell, .discount, .crossSell, .referral: return .opportunity
        case .pricing, .contractTerms, .delivery, .product, .dataSecurity, .support, .trial: return .question
        case .delay, .defect, .poorService, .billing, .frustration: return .negativeSentiment
        case .payment, .purchase, .nextStep: return .buyingSignal
        case .paperwork, .decision, .start, .conditional: return .closingOpportunity
        case .manager, .legal, .cancellation, .chargeback, .publicExposure: return .escalationNeeded
        }
    }
}
