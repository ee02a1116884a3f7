/// What travels with an LLM call from submission until its result is recorded.
struct PendingCall: Sendable {
    let job: QueueJob
    let subject: JobSubject
    let agentID: Int
    let input: AnalysisInput
    let settings: SettingsSnapshot
    let reservation: CostLedger.Reservation
    let price: PriceTable.Price
    let model: String
    let prompt: PromptChoice
    let cacheScope: HintCache.Scope?
    /// The message's embedding when one was fetched, so the cache entry can be found by similarity.
    let embedding: (Embedding, String)?
}
