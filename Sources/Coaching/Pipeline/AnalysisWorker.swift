import Foundation
import Logging
import MariaDB

/// The background half of the service: threads that claim due queue rows, run them through the
/// filters, limits and budget, analyse them (OpenAI-compatible server or the local analyser) and
/// record exactly one outcome per message.
///
/// Threads: `threads` worker threads, each owning one MariaDB connection. LLM calls do not hold a
/// thread: they are submitted to the process's `OpenAIClient` (one libcurl multi thread) and their
/// results come back through `completions`, a locked inbox that any worker thread drains. Thread 0
/// also does the housekeeping: heartbeat, the messages-table watcher, abandoned reservations and
/// lease extension for calls still in flight.
public final class AnalysisWorker: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var workerID: String
        public var threads: Int
        public var batchSize: Int
        public var leaseSeconds: Int
        public var pollInterval: Double
        public var maxInFlight: Int
        public var database: MariaDBConfiguration
        /// From the environment (`COACHING_OPENAI_API_KEY`); wins over the settings row.
        public var apiKey: String?
        /// The local analyser's trained weights; nil decides by rules alone.
        public var classifier: SituationClassifier?
        /// From the environment (`COACHING_EMBEDDINGS_API_KEY`); wins over the settings row.
        public var embeddingsKey: String?

        public init(workerID: String, threads: Int = 2, batchSize: Int = 2, leaseSeconds: Int = 120,
                    pollInterval: Double = 0.1, maxInFlight: Int = 512,
                    database: MariaDBConfiguration, apiKey: String?, classifier: SituationClassifier? = nil,
                    embeddingsKey: String? = nil) {
            self.classifier = classifier
            self.embeddingsKey = embeddingsKey
            self.workerID = workerID
            self.threads = threads
            self.batchSize = batchSize
            self.leaseSeconds = leaseSeconds
            self.pollInterval = pollInterval
            self.maxInFlight = maxInFlight
            self.database = database
            self.apiKey = apiKey
        }
    }

    /// What travels with an LLM call until its result is recorded.
    struct PendingCall: @unchecked Sendable {
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

    private let configuration: Configuration
    private let settingsProvider: SettingsProvider
    private let publisher: HintPublisher
    private let prompts: any PromptSelector
    private let logger: Logger
    private let localAnalyser: LocalAnalyser
    private let embeddingMemo = EmbeddingMemo()
    /// The last embeddings result any thread saw (`off`, `ok` or an error kind), for the heartbeat.
    private var embeddingsStatus = (endpoint: "", result: "off")
    private let state = NSCondition()
    private var completions: [(PendingCall, Result<ChatCompletionResponse, LLMError>)] = []
    private var inFlight: [Int: Date] = [:]
    private var stopping = false
    private var woken = false
    private var client: (key: String, client: OpenAIClient)?
    /// Models already reported as priced at the default, so the notice appears once per model.
    private var unpricedModels: Set<String> = []
    private let finished = DispatchGroup()

    public init(configuration: Configuration, settingsProvider: SettingsProvider, publisher: HintPublisher,
                prompts: any PromptSelector, logger: Logger = Logger(label: "coaching.worker")) {
        self.configuration = configuration
        self.settingsProvider = settingsProvider
        self.publisher = publisher
        self.prompts = prompts
        self.logger = logger
        localAnalyser = LocalAnalyser(classifier: configuration.classifier)
    }

    public func start() throws {
        for index in 0..<configuration.threads {
            finished.enter()
            let thread = Thread { [self] in
                self.run(index: index)
                self.finished.leave()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }
        logger.info("analysis workers started", metadata: ["threads": "\(configuration.threads)", "worker": "\(configuration.workerID)"])
    }

    /// Stops claiming, lets in-flight calls finish (or be cancelled after `grace`), and returns when
    /// every thread has left. Unfinished jobs keep their lease and are reclaimed after it expires.
    public func stop(grace: Double = 5) {
        state.lock()
        stopping = true
        state.broadcast()
        state.unlock()
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            state.lock()
            let busy = !inFlight.isEmpty
            state.unlock()
            if !busy { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        clientSnapshot()?.shutdown()
        finished.wait()
    }

    /// Messages were just queued in this process: idle threads claim now instead of at their next
    /// poll. Other processes' intake is found by polling (`pollInterval`, or the next due time).
    public func wake() {
        state.lock()
        woken = true
        state.broadcast()
        state.unlock()
    }

    public var circuitState: String {
        clientSnapshot()?.circuitState.rawValue ?? "closed"
    }

    private func clientSnapshot() -> OpenAIClient? {
        state.lock()
        defer { state.unlock() }
        return client?.client
    }

    // MARK: - Thread loop

    private func run(index: Int) {
        var connection: MariaDBConnection?
        let embedder = MessageEmbedder(memo: embeddingMemo)
        var lastHousekeeping = Date.distantPast
        while true {
            state.lock()
            let stop = stopping && inFlight.isEmpty && completions.isEmpty
            state.unlock()
            if stop { break }
            do {
                if connection == nil {
                    connection = try MariaDBConnection(configuration: configuration.database, logger: logger)
                }
                guard let connection else { continue }
                var worked = try drainCompletions(connection, embedder: embedder)
                if index == 0, Date().timeIntervalSince(lastHousekeeping) >= 1 {
                    lastHousekeeping = Date()
                    try housekeeping(connection)
                }
                state.lock()
                let room = configuration.maxInFlight - inFlight.count
                let claiming = !stopping && room > 0
                state.unlock()
                if claiming {
                    let settings = try settingsProvider.current(using: connection)
                    let jobs = try QueueClaim(connection: connection, workerID: configuration.workerID)
                        .claim(limit: min(configuration.batchSize, room), leaseSeconds: configuration.leaseSeconds,
                               debounce: settings.coaching.queueProcessingDelay,
                               maxAhead: settings.coaching.maxQueueSize)
                    for job in jobs {
                        process(job, connection: connection, embedder: embedder)
                        // Answers that came back meanwhile are saved now, not after the whole batch.
                        worked = try drainCompletions(connection, embedder: embedder) || worked
                    }
                    worked = worked || !jobs.isEmpty
                }
                if !worked {
                    var idle = configuration.pollInterval
                    if claiming, let due = try QueueClaim(connection: connection, workerID: configuration.workerID)
                        .secondsUntilNextDue() {
                        // Messages wait out their debounce: embed them meanwhile, so their analysis
                        // does not wait for the embeddings server.
                        if due > 0, prefetchEmbeddings(connection, embedder: embedder) { continue }
                        // Due now but not ours (another worker is claiming it): look again shortly.
                        idle = min(idle, max(due, 0.002))
                    }
                    state.lock()
                    if completions.isEmpty && !woken { _ = state.wait(until: Date().addingTimeInterval(idle)) }
                    woken = false
                    state.unlock()
                }
            } catch {
                logger.warning("worker loop error; retrying", metadata: ["error": "\(error)"])
                connection = nil
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    private func housekeeping(_ connection: MariaDBConnection) throws {
        let settings = try settingsProvider.current(using: connection)
        state.lock()
        let running = Array(inFlight.keys)
        let circuit = client?.client.circuitState.rawValue ?? "closed"
        let embeddings = !settings.service.embeddings.isEnabled ? "off"
            : localAnalyser.classifier == nil ? "no_classifier"
            // A result seen for another server (the setting changed since) says nothing yet.
            : embeddingsStatus.endpoint == settings.service.embeddings.endpointURL ? embeddingsStatus.result : "pending"
        state.unlock()
        try connection.execute("""
            INSERT INTO coaching_workers (worker_id, host, pid, heartbeat_at, in_flight, circuit, embeddings)
            VALUES (?, ?, ?, NOW(3), ?, ?, ?)
            ON DUPLICATE KEY UPDATE heartbeat_at = NOW(3), in_flight = VALUES(in_flight), circuit = VALUES(circuit),
                embeddings = VALUES(embeddings)
            """, [.text(configuration.workerID), .text(ProcessInfo.processInfo.hostName),
                  .int(Int(ProcessInfo.processInfo.processIdentifier)), .int(running.count), .text(circuit),
                  .text(embeddings)])
        if !running.isEmpty {
            try QueueClaim(connection: connection, workerID: configuration.workerID)
                .extendLeases(running, leaseSeconds: configuration.leaseSeconds)
        }
        if settings.service.watchMessagesTable, settings.coaching.enabled {
            let intake = MessageIntake(connection: connection)
            try intake.initialiseWatchCursorAtEnd()
            // Keep reading while batches come back full, so a burst is queued within this second.
            for _ in 0..<20 {
                let read = try intake.watchMessagesTable(batch: 1000, delay: settings.coaching.queueProcessingDelay)
                if read < 1000 { break }
            }
        }
        let abandonAfter = settings.service.totalTimeoutMilliseconds / 1000 * settings.service.maxAttempts + configuration.leaseSeconds
        _ = try CostLedger(connection: connection).settleAbandoned(olderThanSeconds: abandonAfter)
        try HintCache(connection: connection).purgeExpired()
    }

    // MARK: - One job

    private func process(_ job: QueueJob, connection: MariaDBConnection, embedder: MessageEmbedder) {
        do {
            try analyse(job, connection: connection, embedder: embedder)
        } catch {
            logger.warning("job failed", metadata: ["queue_id": "\(job.id)", "error": "\(error)"])
            let claim = QueueClaim(connection: connection, workerID: configuration.workerID)
            if job.attempts >= 3 {
                _ = try? claim.finish(job, outcome: .failed, error: "\(error)")
            } else {
                _ = try? claim.postpone(job, bySeconds: Double(job.attempts) * 2, error: "\(error)", countsAsAttempt: true)
            }
        }
    }

    private func analyse(_ job: QueueJob, connection: MariaDBConnection, embedder: MessageEmbedder) throws {
        let claim = QueueClaim(connection: connection, workerID: configuration.workerID)
        let settings = try settingsProvider.current(using: connection)
        let coaching = settings.coaching
        let service = settings.service

        if job.source == MessageIntake.Door.listener.rawValue {
            try connection.execute("INSERT IGNORE INTO coaching_message_intake (message_id, queue_id) VALUES (?, ?)",
                                   [.int(job.messageID), .int(job.id)])
            let owner = try connection.query("SELECT queue_id FROM coaching_message_intake WHERE message_id = ?",
                                             [.int(job.messageID)]).first?.int(0)
            if let owner, owner != job.id {
                try claim.finish(job, outcome: .duplicate, error: "message already queued as \(owner)")
                return
            }
        }
        guard let subject = try JobSubject.load(messageID: job.messageID, connection: connection) else {
            try claim.finish(job, outcome: .failed, error: "message not found")
            return
        }
        guard coaching.enabled else { return try finish(claim, job, .filtered(.disabled)) }
        if subject.messageType == "note" || (coaching.analyzeOnlyClientMessages && subject.senderType != "contact") {
            return try finish(claim, job, .filtered(.notClient))
        }
        guard subject.characterCount >= max(coaching.minMessageLength, 1) else { return try finish(claim, job, .filtered(.tooShort)) }
        guard let agentID = subject.assignedAgentID else { return try finish(claim, job, .filtered(.unassigned)) }
        guard subject.ageSeconds <= service.maxMessageAgeSeconds else { return try finish(claim, job, .filtered(.stale)) }
        if try subject.isAnswered(connection: connection) { return try finish(claim, job, .filtered(.answered)) }
        // More than max_queue_size messages ahead of this one: shed it, as the original queue limit did.
        if job.ahead >= coaching.maxQueueSize { return try finish(claim, job, .filtered(.queueFull)) }

        // A later customer message of this conversation is still waiting: fold this one into it.
        if try merge(job, conversationID: subject.conversationID, minimumLength: max(coaching.minMessageLength, 1),
                     claim: claim, connection: connection) {
            return
        }

        if coaching.skipIfAgentTyping {
            let typing = try connection.query("""
                SELECT 1 FROM coaching_typing_state
                WHERE conversation_id = ? AND agent_id = ? AND is_typing = 1 AND updated_at >= NOW() - INTERVAL ? SECOND
                """, [.int(subject.conversationID), .int(agentID), .int(service.typingFreshSeconds)])
            if !typing.isEmpty {
                if subject.ageSeconds < service.typingDeferMaxSeconds {
                    try claim.postpone(job, bySeconds: 1)
                    return
                }
                return try finish(claim, job, .filtered(.agentTyping))
            }
        }

        let earlier = try connection.query("""
            SELECT m.content FROM coaching_queue q JOIN messages m ON m.id = q.message_id
            WHERE q.merged_into = ? ORDER BY q.id DESC LIMIT 4
            """, [.int(job.id)]).compactMap { $0.string(0) }.reversed()
        let context = try JobSubject.context(conversationID: subject.conversationID,
                                             beforeMessageID: subject.messageID - earlier.count,
                                             limit: service.contextMessages, connection: connection)
        let input = AnalysisInput(context: context, messages: Array(earlier) + [subject.content],
                                  enabledTypes: coaching.enabledHintTypes, language: service.language,
                                  agentName: subject.agentName)

        let key = configuration.apiKey ?? settings.openAIKey
        let useLLM = service.provider == .openai || (service.provider == .auto && key != nil)
        let prompt = try prompts.choice(forAgent: agentID, connection: connection)
        // Asked for at most once per job, and only when something reads it.
        var embedded: Result<(Embedding, String), EmbeddingsError>?
        func embedding() -> Result<(Embedding, String), EmbeddingsError> {
            if let embedded { return embedded }
            let result = embed(input, settings: settings, embedder: embedder)
            embedded = result
            return result
        }
        var scope: HintCache.Scope?
        if useLLM, coaching.useCache {
            let cacheScope = HintCache.Scope(model: coaching.model, variant: prompt.variant,
                                             templateHash: prompt.template.hash,
                                             enabledTypes: coaching.enabledHintTypes, language: service.language)
            scope = cacheScope
            let cache = HintCache(connection: connection)
            let similar = service.similarityCache ? try? embedding().get() : nil
            let entry = try cache.lookup(messages: input.messages, context: input.context, scope: cacheScope,
                                         threshold: coaching.cacheSimilarityThreshold,
                                         embedding: similar.map { ($0.0, $0.1, service.similarityMinCosine) })
            PipelineMetrics.cacheLookup(hit: entry != nil)
            if let entry {
                try cache.recordHit(entry)
                guard entry.output.hasHint else { return try finish(claim, job, .noHint) }
                let draft = HintWriter.Draft(output: entry.output, modelUsed: entry.modelUsed ?? coaching.model,
                                             tokensUsed: 0, cost: 0, latencyMilliseconds: 0, source: "cache",
                                             prompt: prompt)
                return try saveAndPublish(draft, job: job, subject: subject, agentID: agentID, outcome: .cached,
                                          language: service.language, connection: connection)
            }
        }

        switch try RateLimiter(connection: connection).acquire(
            agentID: agentID, perMinute: coaching.maxAnalysesPerMinute, agentInterval: coaching.minIntervalBetweenAnalyses) {
        case .allowed:
            break
        case .wait(let seconds):
            if Double(subject.ageSeconds) + seconds > Double(service.maxMessageAgeSeconds) {
                return try finish(claim, job, .filtered(.stale))
            }
            try claim.postpone(job, bySeconds: seconds)
            return
        }

        guard useLLM, let key else {
            return try runLocal(job, subject: subject, agentID: agentID, input: input, settings: settings,
                                prompt: prompt, connection: connection, outcomeIfHint: .hint, embedding: localEmbedding(embedding))
        }
        if service.prefilter {
            let local = localAnalysis(input, embedding: localEmbedding(embedding), settings: settings)
            if !local.output.hasHint {
                if let note = local.note { try claim.note(job, note) }
                return try finish(claim, job, .filtered(.prefilter))
            }
        }
        let (price, known) = service.priceTable.price(for: coaching.model)
        if !known {
            state.lock()
            let first = unpricedModels.insert(coaching.model).inserted
            state.unlock()
            if first { logger.notice("unknown model priced at the default", metadata: ["model": "\(coaching.model)"]) }
        }
        let rendered = prompt.template.render(input)
        let promptEstimate = (rendered.system.utf8.count + rendered.user.utf8.count) / 3 + 16
        let worstCase = price.cost(promptTokens: promptEstimate, completionTokens: service.maxTokens)
        let ledger = CostLedger(connection: connection)
        guard let reservation = try ledger.reserve(
            .init(queueID: job.id, messageID: job.messageID, conversationID: subject.conversationID, agentID: agentID,
                  provider: "openai", model: coaching.model, variant: prompt.variant,
                  experimentKey: prompt.experimentKey),
            worstCase: worstCase, hourCap: coaching.costLimitPerHour, dayCap: coaching.costLimitPerDay) else {
            switch service.budgetFallback {
            case .local:
                return try runLocal(job, subject: subject, agentID: agentID, input: input, settings: settings,
                                    prompt: prompt, connection: connection, outcomeIfHint: .budget,
                                    outcomeIfNone: .budget, embedding: localEmbedding(embedding))
            case .skip:
                return try finish(claim, job, .budget)
            }
        }
        let client = try llmClient(key: key, service: service)
        let pending = PendingCall(job: job, subject: subject, agentID: agentID, input: input, settings: settings,
                                  reservation: reservation, price: price, model: coaching.model, prompt: prompt,
                                  cacheScope: scope, embedding: try? embedded?.get())
        state.lock()
        inFlight[job.id] = Date()
        state.unlock()
        let request = ChatCompletionRequest(
            model: coaching.model,
            messages: [ChatMessage(role: "system", content: rendered.system),
                       ChatMessage(role: "user", content: rendered.user)],
            temperature: coaching.temperature, maxTokens: service.maxTokens, jsonResponseFormat: true)
        client.submit(request) { [self] result in
            self.state.lock()
            self.completions.append((pending, result))
            self.state.signal()
            self.state.unlock()
        }
    }

    /// Folds the job into the newest unfinished customer message queued after it, if any. The
    /// target row is locked and re-checked before the job points at it, and a job that is itself
    /// merged away records its own outcome before moving what was folded into it: so two workers
    /// merging neighbours at once never leave a row pointing at a message that was merged away.
    private func merge(_ job: QueueJob, conversationID: Int, minimumLength: Int, claim: QueueClaim,
                       connection: MariaDBConnection) throws -> Bool {
        for _ in 0..<3 {
            guard let later = try connection.query("""
                SELECT q.id FROM coaching_queue q JOIN messages m ON m.id = q.message_id
                WHERE q.conversation_id = ? AND q.id > ? AND q.status IN ('pending', 'processing') AND q.outcome IS NULL
                  AND m.sender_type = 'contact' AND CHAR_LENGTH(TRIM(m.content)) >= ?
                ORDER BY q.id DESC LIMIT 1
                """, [.int(conversationID), .int(job.id), .int(minimumLength)]).first?.int(0) else { return false }
            let merged: Bool = try connection.transaction {
                guard try !connection.query("""
                    SELECT id FROM coaching_queue
                    WHERE id = ? AND status IN ('pending', 'processing') AND outcome IS NULL FOR UPDATE
                    """, [.int(later)]).isEmpty else { return false }
                guard try claim.finish(job, outcome: .merged, mergedInto: later) else { throw HintWriter.Conflict.leaseLost }
                // Whatever was folded into this message moves on with it.
                try connection.execute("UPDATE coaching_queue SET merged_into = ? WHERE merged_into = ?",
                                       [.int(later), .int(job.id)])
                return true
            }
            if merged { return true }
        }
        return false
    }

    private func finish(_ claim: QueueClaim, _ job: QueueJob, _ outcome: MessageOutcome) throws {
        try claim.finish(job, outcome: outcome)
    }

    private func runLocal(_ job: QueueJob, subject: JobSubject, agentID: Int, input: AnalysisInput, settings: SettingsSnapshot,
                          prompt: PromptChoice, connection: MariaDBConnection, outcomeIfHint: MessageOutcome,
                          outcomeIfNone: MessageOutcome = .noHint,
                          embedding: Result<(Embedding, String), EmbeddingsError>) throws {
        let started = Date()
        let local = localAnalysis(input, embedding: embedding, settings: settings)
        let output = (try? OutputValidator.validate(local.output, enabledTypes: input.enabledTypes)) ?? .none
        let claim = QueueClaim(connection: connection, workerID: configuration.workerID)
        if let note = local.note { try claim.note(job, note) }
        guard output.hasHint else {
            try claim.finish(job, outcome: outcomeIfNone)
            return
        }
        let modelUsed = local.method == .combined ? "local+embeddings" : "local"
        let draft = HintWriter.Draft(output: output, modelUsed: modelUsed, tokensUsed: 0, cost: 0,
                                     latencyMilliseconds: Int(Date().timeIntervalSince(started) * 1000),
                                     source: "local", prompt: prompt)
        try saveAndPublish(draft, job: job, subject: subject, agentID: agentID, outcome: outcomeIfHint,
                           language: settings.service.language, connection: connection)
    }

    /// Saves the hint and the outcome; the caller publishes the returned hint once committed.
    @discardableResult
    private func save(_ draft: HintWriter.Draft, job: QueueJob, subject: JobSubject, agentID: Int,
                      outcome: MessageOutcome, connection: MariaDBConnection) throws -> Hint? {
        let claim = QueueClaim(connection: connection, workerID: configuration.workerID)
        do {
            return try HintWriter(connection: connection, claim: claim)
                .save(draft, job: job, subject: subject, agentID: agentID, outcome: outcome)
        } catch HintWriter.Conflict.alreadyHinted {
            let existing = try connection.query("SELECT hint_id FROM coaching_hint_messages WHERE message_id = ?",
                                                [.int(subject.messageID)]).first?.int(0)
            try claim.finish(job, outcome: outcome, hintID: existing)
        } catch HintWriter.Conflict.leaseLost {
            logger.notice("lease lost before saving; another worker owns the job", metadata: ["queue_id": "\(job.id)"])
        }
        return nil
    }

    private func saveAndPublish(_ draft: HintWriter.Draft, job: QueueJob, subject: JobSubject, agentID: Int,
                                outcome: MessageOutcome, language: String, connection: MariaDBConnection) throws {
        if let hint = try save(draft, job: job, subject: subject, agentID: agentID, outcome: outcome, connection: connection) {
            publisher.publish(hint, language: language)
        }
    }

    // MARK: - LLM results

    /// Embeds the customer messages that wait for their debounce (at most 16 per call, one thread at a
    /// time). The result goes to the process's `EmbeddingMemo`; the job's own lookup then finds it.
    /// Returns whether it embedded anything. A burst merged later is embedded again as one text.
    private func prefetchEmbeddings(_ connection: MariaDBConnection, embedder: MessageEmbedder) -> Bool {
        guard let settings = try? settingsProvider.current(using: connection), settings.coaching.enabled,
              settings.service.embeddings.isEnabled,
              localAnalyser.classifier != nil || (settings.coaching.useCache && settings.service.similarityCache),
              let after = embeddingMemo.beginPrefetch() else { return false }
        var through = after
        var embedded = false
        defer { embeddingMemo.endPrefetch(through: through) }
        guard let rows = try? connection.query("""
            SELECT q.id, m.content FROM coaching_queue q JOIN messages m ON m.id = q.message_id
            WHERE q.status = 'pending' AND q.available_at > NOW(3) AND q.id > ? AND m.sender_type = 'contact'
            ORDER BY q.id LIMIT 16
            """, [.int(after)]) else { return false }
        for row in rows {
            guard let id = row.int(0) else { continue }
            through = max(through, id)
            let text = (row.string(1) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !embedder.isKnown(text, settings: settings) else { continue }
            if case .failure = embedder.embed(text, settings: settings, environmentKey: configuration.embeddingsKey) { break }
            embedded = true
        }
        return embedded
    }

    /// The embedding for the local analyser: fetched only when a classifier can read it.
    private func localEmbedding(_ fetch: () -> Result<(Embedding, String), EmbeddingsError>)
        -> Result<(Embedding, String), EmbeddingsError> {
        localAnalyser.classifier == nil ? .failure(.notConfigured) : fetch()
    }

    /// The message's embedding from the configured server (the analysed messages as one text).
    private func embed(_ input: AnalysisInput, settings: SettingsSnapshot, embedder: MessageEmbedder)
        -> Result<(Embedding, String), EmbeddingsError> {
        let result = embedder.embed(LocalAnalyser.embeddingText(input), settings: settings, environmentKey: configuration.embeddingsKey)
        state.lock()
        embeddingsStatus = (settings.service.embeddings.endpointURL, embedder.lastResult)
        state.unlock()
        return result
    }

    /// The local analyser's answer with embeddings when they came, and, when embeddings are
    /// configured but did not serve, the note that says why the rules decided alone (kept on the
    /// queue row as `last_error`; nothing is lost, the job goes on).
    private func localAnalysis(_ input: AnalysisInput, embedding: Result<(Embedding, String), EmbeddingsError>,
                               settings: SettingsSnapshot) -> (output: AnalysisOutput, method: LocalAnalyser.Method, note: String?) {
        let fallback: String
        switch embedding {
        case .success(let (vector, model)):
            let result = localAnalyser.analyse(input, embedding: vector, embeddingsModel: model)
            if result.method == .combined {
                PipelineMetrics.localDecision(method: "combined", fallback: "none")
                return (result.output, .combined, nil)
            }
            fallback = localAnalyser.classifier == nil ? "no_classifier" : "model_mismatch"
        case .failure(.notConfigured):
            PipelineMetrics.localDecision(method: "rules", fallback: "none")
            return (localAnalyser.analyse(input), .rules, nil)
        case .failure(let error):
            fallback = localAnalyser.classifier == nil ? "no_classifier" : error.kind
        }
        PipelineMetrics.localDecision(method: "rules", fallback: fallback)
        return (localAnalyser.analyse(input), .rules, "embeddings \(fallback): rules alone")
    }

    private func drainCompletions(_ connection: MariaDBConnection, embedder: MessageEmbedder) throws -> Bool {
        state.lock()
        let batch = completions
        completions.removeAll()
        for (call, _) in batch { inFlight[call.job.id] = nil }
        state.unlock()
        for (call, result) in batch {
            do {
                try record(call, result, connection: connection, embedder: embedder)
            } catch {
                logger.warning("recording an LLM result failed", metadata: ["queue_id": "\(call.job.id)", "error": "\(error)"])
            }
        }
        return !batch.isEmpty
    }

    private func record(_ call: PendingCall, _ result: Result<ChatCompletionResponse, LLMError>,
                        connection: MariaDBConnection, embedder: MessageEmbedder) throws {
        let ledger = CostLedger(connection: connection)
        let claim = QueueClaim(connection: connection, workerID: configuration.workerID)
        let maxAttempts = call.settings.service.maxAttempts
        switch result {
        case .success(let response):
            let cost = call.price.cost(promptTokens: response.promptTokens, completionTokens: response.completionTokens)
            PipelineMetrics.llmCall(model: call.model, result: "ok", latencyMilliseconds: response.latencyMilliseconds,
                                    promptTokens: response.promptTokens, completionTokens: response.completionTokens, cost: cost)
            // Settling the call and recording its outcome are one transaction: a crash between them
            // cannot leave a paid answer unrecorded and make the job call the model again.
            var saved: Hint?
            do {
                try connection.transaction {
                let output = try OutputValidator.parse(response.content, enabledTypes: call.input.enabledTypes)
                try ledger.settle(call.reservation, promptTokens: response.promptTokens,
                                  completionTokens: response.completionTokens, cost: cost,
                                  latencyMilliseconds: response.latencyMilliseconds,
                                  outcome: output.hasHint ? "hint" : "no_hint", error: nil)
                if let scope = call.cacheScope {
                    try? HintCache(connection: connection).store(
                        messages: call.input.messages, context: call.input.context, scope: scope, output: output,
                        embedding: call.embedding,
                        modelUsed: response.model.isEmpty ? call.model : response.model,
                        ttlMinutes: call.settings.coaching.cacheTTLMinutes)
                }
                guard output.hasHint else {
                    try claim.finish(call.job, outcome: .noHint)
                    return
                }
                let draft = HintWriter.Draft(output: output, modelUsed: response.model.isEmpty ? call.model : response.model,
                                             tokensUsed: response.promptTokens + response.completionTokens, cost: cost,
                                             latencyMilliseconds: response.latencyMilliseconds, source: "llm",
                                             prompt: call.prompt)
                saved = try save(draft, job: call.job, subject: call.subject, agentID: call.agentID, outcome: .hint,
                                 connection: connection)
                }
                if let saved { publisher.publish(saved, language: call.settings.service.language) }
            } catch let invalid as OutputValidator.Invalid {
                try ledger.settle(call.reservation, promptTokens: response.promptTokens,
                                  completionTokens: response.completionTokens, cost: cost,
                                  latencyMilliseconds: response.latencyMilliseconds, outcome: "invalid",
                                  error: invalid.reason)
                try retryOrFail(call, claim: claim, maxAttempts: maxAttempts, error: "invalid output: \(invalid.reason)")
            }
        case .failure(let error):
            var promptTokens = 0
            var completionTokens = 0
            if case .invalidResponse(_, let prompt, let completion) = error {
                promptTokens = prompt
                completionTokens = completion
            }
            let cost = call.price.cost(promptTokens: promptTokens, completionTokens: completionTokens)
            PipelineMetrics.llmCall(model: call.model, result: error.metricsKind, latencyMilliseconds: nil,
                                    promptTokens: promptTokens, completionTokens: completionTokens, cost: cost)
            try ledger.settle(call.reservation, promptTokens: promptTokens, completionTokens: completionTokens, cost: cost,
                              latencyMilliseconds: nil, outcome: "error", error: "\(error)")
            switch error {
            case .circuitOpen:
                let embedding = call.embedding.map { Result<(Embedding, String), EmbeddingsError>.success($0) }
                    ?? localEmbedding { embed(call.input, settings: call.settings, embedder: embedder) }
                try runLocal(call.job, subject: call.subject, agentID: call.agentID, input: call.input,
                             settings: call.settings, prompt: call.prompt, connection: connection, outcomeIfHint: .hint,
                             embedding: embedding)
            case .cancelled:
                try claim.postpone(call.job, bySeconds: 0)
            default:
                try retryOrFail(call, claim: claim, maxAttempts: maxAttempts, error: "\(error)")
            }
        }
    }

    private func retryOrFail(_ call: PendingCall, claim: QueueClaim, maxAttempts: Int, error: String) throws {
        if call.job.attempts >= maxAttempts {
            try claim.finish(call.job, outcome: .failed, error: error)
        } else {
            try claim.postpone(call.job, bySeconds: Double(call.job.attempts), error: error, countsAsAttempt: true)
        }
    }

    private func llmClient(key: String, service: ServiceSettings) throws -> OpenAIClient {
        let signature = "\(service.baseURL)|\(service.connectTimeoutMilliseconds)|\(service.totalTimeoutMilliseconds)|\(key)"
        state.lock()
        if let client, client.key == signature {
            state.unlock()
            return client.client
        }
        state.unlock()
        let fresh = try OpenAIClient(configuration: LLMClientConfiguration(service: service, apiKey: key))
        state.lock()
        if let current = client, current.key == signature {
            // Another thread made the same client meanwhile: use that one, drop ours (it has no calls).
            state.unlock()
            return current.client
        }
        let previous = client?.client
        client = (signature, fresh)
        state.unlock()
        // The previous client's last reference goes here, outside the lock: its deinit stops its
        // thread and hands its in-flight calls back as `.cancelled`, and those completions take
        // `state`. Dropped under the lock, that wait would never end.
        withExtendedLifetime(previous) {}
        return fresh
    }
}
