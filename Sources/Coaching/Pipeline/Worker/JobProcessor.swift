import Foundation
import Logging
import MariaDB
import Synchronization

/// Takes one claimed job from its claim to either a recorded outcome or an LLM call in flight:
/// the listener door's de-duplication, triage, the cache, the rate limit, the choice of analyser
/// (LLM, local, local as pre-filter or budget fallback) and the budget reservation. Shared by every
/// worker thread; the database connection and the embedder are the calling thread's own.
final class JobProcessor: Sendable {
    private let workerID: String
    private let apiKey: String?
    private let settingsProvider: SettingsProvider
    private let prompts: any PromptSelector
    private let publisher: any HintPublisher
    private let local: LocalAnalysisRunner
    private let clients: LLMClientHolder
    private let inbox: WorkerInbox
    private let logger: Logger
    /// Models already reported as priced at the default, so the notice appears once per model.
    private let unpricedModels = Mutex<Set<String>>([])

    init(workerID: String, apiKey: String?, settingsProvider: SettingsProvider, prompts: any PromptSelector,
         publisher: any HintPublisher, local: LocalAnalysisRunner, clients: LLMClientHolder, inbox: WorkerInbox,
         logger: Logger) {
        self.workerID = workerID
        self.apiKey = apiKey
        self.settingsProvider = settingsProvider
        self.prompts = prompts
        self.publisher = publisher
        self.local = local
        self.clients = clients
        self.inbox = inbox
        self.logger = logger
    }

    /// Never throws: a job that fails is retried or failed by the one retry policy.
    func process(_ job: QueueJob, connection: MariaDBConnection, embedder: MessageEmbedder) {
        do {
            try analyse(job, connection: connection, embedder: embedder)
        } catch {
            logger.warning("job failed", metadata: ["queue_id": "\(job.id)", "error": "\(error)"])
            let service = (try? settingsProvider.current(using: connection))?.service ?? ServiceSettings()
            try? QueueClaim(connection: connection, workerID: workerID)
                .retry(job, policy: JobRetryPolicy(service: service), error: "\(error)")
        }
    }

    private func analyse(_ job: QueueJob, connection: MariaDBConnection, embedder: MessageEmbedder) throws {
        let claim = QueueClaim(connection: connection, workerID: workerID)
        let settings = try settingsProvider.current(using: connection)
        let coaching = settings.coaching
        let service = settings.service

        if job.source == MessageIntake.Door.listener.rawValue,
           let owner = try MessageIntake(connection: connection).registerListenerRow(queueID: job.id, messageID: job.messageID) {
            try claim.finish(job, outcome: .duplicate, error: "message already queued as \(owner)")
            return
        }
        guard let subject = try JobSubject.load(messageID: job.messageID, connection: connection) else {
            try claim.finish(job, outcome: .failed, error: "message not found")
            return
        }
        guard try triage(job, subject: subject, settings: settings, claim: claim, connection: connection),
              let agentID = subject.assignedAgentID else { return }

        let earlier = try claim.mergedTexts(into: job)
        let context = try JobSubject.context(conversationID: subject.conversationID,
                                             beforeMessageID: subject.messageID - earlier.count,
                                             limit: service.contextMessages, connection: connection)
        let input = AnalysisInput(context: context, messages: earlier + [subject.content],
                                  enabledTypes: coaching.enabledHintTypes, language: service.language,
                                  agentName: subject.agentName)
        let delivery = HintDelivery(connection: connection, claim: claim, publisher: publisher, logger: logger)
        let key = apiKey ?? settings.openAIKey
        let useLLM = service.provider == .openai || (service.provider == .auto && key != nil)
        let prompt = try prompts.choice(forAgent: agentID, connection: connection)
        // Asked for at most once per job, and only when something reads it.
        var embedded: LocalAnalysisRunner.EmbeddingResult?
        func embedding() -> LocalAnalysisRunner.EmbeddingResult {
            if let embedded { return embedded }
            let result = local.embed(input, settings: settings, embedder: embedder)
            embedded = result
            return result
        }
        func answerLocally(_ outcomeIfHint: MessageOutcome, orElse outcomeIfNone: MessageOutcome = .noHint) throws {
            try local.answer(job, subject: subject, agentID: agentID, input: input, settings: settings, prompt: prompt,
                             delivery: delivery, outcomeIfHint: outcomeIfHint, outcomeIfNone: outcomeIfNone,
                             embedding: local.embeddingForAnalyser(embedding))
        }

        var scope: HintCache.Scope?
        if useLLM, coaching.useCache {
            let cacheScope = HintCache.Scope(model: coaching.model, variant: prompt.variant,
                                             templateHash: prompt.template.hash,
                                             enabledTypes: coaching.enabledHintTypes, language: service.language)
            scope = cacheScope
            let similar = service.similarityCache ? try? embedding().get() : nil
            let cache = HintCache(connection: connection)
            let entry = try cache.lookup(
                messages: input.messages, context: input.context, scope: cacheScope,
                threshold: coaching.cacheSimilarityThreshold,
                embedding: similar.map { ($0.0, $0.1, service.similarityMinCosine) })
            PipelineMetrics.cacheLookup(hit: entry != nil)
            if let entry {
                try cache.recordHit(entry)
                guard entry.output.hasHint else { try claim.finish(job, outcome: .noHint); return }
                let draft = HintWriter.Draft(output: entry.output, modelUsed: entry.modelUsed ?? coaching.model,
                                             tokensUsed: 0, cost: 0, latencyMilliseconds: 0, source: "cache", prompt: prompt)
                return try delivery.deliver(draft, job: job, subject: subject, agentID: agentID, outcome: .cached,
                                            language: service.language)
            }
        }

        switch try RateLimiter(connection: connection).acquire(
            agentID: agentID, perMinute: coaching.maxAnalysesPerMinute, agentInterval: coaching.minIntervalBetweenAnalyses) {
        case .allowed:
            break
        case .wait(let seconds):
            if Double(subject.ageSeconds) + seconds > Double(service.maxMessageAgeSeconds) {
                try claim.finish(job, outcome: .filtered(.stale))
                return
            }
            try claim.postpone(job, bySeconds: seconds)
            return
        }

        guard useLLM, let key else { return try answerLocally(.hint) }
        if service.prefilter {
            let started = Date()
            let decision = local.analyse(input, embedding: local.embeddingForAnalyser(embedding))
            if !decision.output.hasHint {
                PipelineMetrics.prefilterDecision("filtered")
                if let note = decision.note { try claim.note(job, note) }
                try claim.finish(job, outcome: .filtered(.prefilter))
                return
            }
            if decision.answersLocally(minConfidence: service.localAnswerMinConfidence) {
                PipelineMetrics.prefilterDecision("local_answer")
                return try local.deliver(decision, job: job, subject: subject, agentID: agentID, input: input,
                                         settings: settings, prompt: prompt, delivery: delivery, outcomeIfHint: .hint,
                                         started: started)
            }
            PipelineMetrics.prefilterDecision("llm")
        }
        let price = self.price(coaching.model, service: service)
        let request = AnalysisRequest(template: prompt.template, input: input, model: coaching.model,
                                      temperature: coaching.temperature, maxTokens: service.maxTokens)
        let worstCase = price.cost(promptTokens: request.promptTokenEstimate, completionTokens: service.maxTokens)
        guard let reservation = try CostLedger(connection: connection).reserve(
            .init(queueID: job.id, messageID: job.messageID, conversationID: subject.conversationID, agentID: agentID,
                  provider: "openai", model: coaching.model, variant: prompt.variant, experimentKey: prompt.experimentKey),
            worstCase: worstCase, hourCap: coaching.costLimitPerHour, dayCap: coaching.costLimitPerDay) else {
            switch service.budgetFallback {
            case .local: return try answerLocally(.budget, orElse: .budget)
            case .skip:
                try claim.finish(job, outcome: .budget)
                return
            }
        }
        let client = try clients.client(key: key, service: service)
        let pending = PendingCall(job: job, subject: subject, agentID: agentID, input: input, settings: settings,
                                  reservation: reservation, price: price, model: coaching.model, prompt: prompt,
                                  cacheScope: scope, embedding: try? embedded?.get())
        inbox.callStarted(queueID: job.id)
        client.submit(request.chat) { [inbox] result in inbox.deliver(pending, result) }
    }

    /// Applies triage; true when the job goes on to analysis. A merge that loses its race (the later
    /// message finished meanwhile) looks again; after three lost races the job is decided alone.
    private func triage(_ job: QueueJob, subject: JobSubject, settings: SettingsSnapshot, claim: QueueClaim,
                        connection: MariaDBConnection) throws -> Bool {
        let triaged = Triage.Subject(subject, job: job)
        let (coaching, service) = (settings.coaching, settings.service)
        if case .filter(let reason) = Triage.screen(triaged, coaching: coaching, service: service) {
            try claim.finish(job, outcome: .filtered(reason))
            return false
        }
        for attempt in 0..<4 {
            let facts = try Triage.Facts.read(for: job, subject: subject, coaching: coaching, service: service,
                                              connection: connection, claim: claim, lookingForLater: attempt < 3)
            switch Triage.decide(triaged, facts: facts, coaching: coaching, service: service) {
            case .filter(let reason):
                try claim.finish(job, outcome: .filtered(reason))
                return false
            case .postpone(let seconds):
                try claim.postpone(job, bySeconds: seconds)
                return false
            case .merge(let later):
                if try claim.merge(job, into: later) { return false }
            case .analyse:
                return true
            }
        }
        return true
    }

    private func price(_ model: String, service: ServiceSettings) -> PriceTable.Price {
        let (price, known) = service.priceTable.price(for: model)
        if !known, unpricedModels.withLock({ $0.insert(model).inserted }) {
            logger.notice("unknown model priced at the default", metadata: ["model": "\(model)"])
        }
        return price
    }
}
