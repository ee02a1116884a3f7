import Foundation
import MariaDB
import Synchronization

/// The local analyser as the worker runs it: with the message's embedding when the embeddings
/// server answers, by rules alone (and saying why) when it does not. It also keeps the process's
/// embedding memo warm with messages still waiting out their debounce, and the last embeddings
/// result for the heartbeat. Shared by every worker thread; each thread brings its own
/// `MessageEmbedder` (its own connection to the embeddings server).
final class LocalAnalysisRunner: Sendable {
    typealias EmbeddingResult = Result<(Embedding, String), EmbeddingsError>

    struct Decision {
        let output: AnalysisOutput
        let method: LocalAnalyser.Method
        /// The classifier's probability for its answer; nil when the rules decided alone.
        var confidence: Double? = nil
        /// Why the rules decided alone although embeddings are configured (kept as `last_error`).
        let note: String?

        /// Whether this is a situation sure enough to answer without the LLM: the classifier
        /// decided, and gave it at least `minConfidence` (0 never answers).
        func answersLocally(minConfidence: Double) -> Bool {
            guard minConfidence > 0, output.hasHint, let confidence else { return false }
            return confidence >= minConfidence
        }
    }

    let analyser: LocalAnalyser
    let memo = EmbeddingMemo()
    private let environmentKey: String?
    private let lastResult = Mutex<(endpoint: String, result: String)>(("", "off"))

    init(classifier: SituationClassifier?, environmentKey: String?) {
        analyser = LocalAnalyser(classifier: classifier)
        self.environmentKey = environmentKey
    }

    /// The analysed messages' embedding, as one text, from the configured server.
    func embed(_ input: AnalysisInput, settings: SettingsSnapshot, embedder: MessageEmbedder) -> EmbeddingResult {
        let result = embedder.embed(LocalAnalyser.embeddingText(input), settings: settings, environmentKey: environmentKey)
        lastResult.withLock { $0 = (settings.service.embeddings.endpointURL, embedder.lastResult) }
        return result
    }

    /// The embedding for the analyser: fetched only when a classifier can read it.
    func embeddingForAnalyser(_ fetch: () -> EmbeddingResult) -> EmbeddingResult {
        analyser.classifier == nil ? .failure(.notConfigured) : fetch()
    }

    func analyse(_ input: AnalysisInput, embedding: EmbeddingResult) -> Decision {
        let fallback: String
        switch embedding {
        case .success(let (vector, model)):
            let result = analyser.classify(input, embedding: vector, embeddingsModel: model)
            if result.method == .combined {
                PipelineMetrics.localDecision(method: "combined", fallback: "none")
                return Decision(output: result.output, method: .combined, confidence: result.confidence, note: nil)
            }
            fallback = analyser.classifier == nil ? "no_classifier" : "model_mismatch"
        case .failure(.notConfigured):
            PipelineMetrics.localDecision(method: "rules", fallback: "none")
            return Decision(output: analyser.analyse(input), method: .rules, note: nil)
        case .failure(let error):
            fallback = analyser.classifier == nil ? "no_classifier" : error.kind
        }
        PipelineMetrics.localDecision(method: "rules", fallback: fallback)
        return Decision(output: analyser.analyse(input), method: .rules, note: "embeddings \(fallback): rules alone")
    }

    /// Answers the job with the local analyser: a hint is delivered with `outcomeIfHint`, otherwise
    /// the job ends with `outcomeIfNone`.
    func answer(_ job: QueueJob, subject: JobSubject, agentID: Int, input: AnalysisInput, settings: SettingsSnapshot,
                prompt: PromptChoice, delivery: HintDelivery, outcomeIfHint: MessageOutcome,
                outcomeIfNone: MessageOutcome = .noHint, embedding: EmbeddingResult) throws {
        let started = Date()
        let decision = analyse(input, embedding: embedding)
        try deliver(decision, job: job, subject: subject, agentID: agentID, input: input, settings: settings, prompt: prompt,
                    delivery: delivery, outcomeIfHint: outcomeIfHint, outcomeIfNone: outcomeIfNone, started: started)
    }

    /// Delivers a decision already taken (the pre-filter's, when it answers locally).
    func deliver(_ decision: Decision, job: QueueJob, subject: JobSubject, agentID: Int, input: AnalysisInput,
                 settings: SettingsSnapshot, prompt: PromptChoice, delivery: HintDelivery, outcomeIfHint: MessageOutcome,
                 outcomeIfNone: MessageOutcome = .noHint, started: Date) throws {
        let output = (try? OutputValidator.validate(decision.output, enabledTypes: input.enabledTypes)) ?? .none
        if let note = decision.note { try delivery.claim.note(job, note) }
        guard output.hasHint else {
            try delivery.claim.finish(job, outcome: outcomeIfNone)
            return
        }
        let draft = HintWriter.Draft(output: output, modelUsed: decision.method == .combined ? "local+embeddings" : "local",
                                     tokensUsed: 0, cost: 0,
                                     latencyMilliseconds: Int(Date().timeIntervalSince(started) * 1000),
                                     source: "local", prompt: prompt)
        try delivery.deliver(draft, job: job, subject: subject, agentID: agentID, outcome: outcomeIfHint,
                             language: settings.service.language)
    }

    /// What the heartbeat reports: `off`, `no_classifier`, `pending` (nothing seen yet for the
    /// configured server) or the last result (`ok` or an error kind).
    func status(settings: SettingsSnapshot) -> String {
        guard settings.service.embeddings.isEnabled else { return "off" }
        guard analyser.classifier != nil else { return "no_classifier" }
        let last = lastResult.withLock { $0 }
        return last.endpoint == settings.service.embeddings.endpointURL ? last.result : "pending"
    }

    /// Embeds the customer messages that wait for their debounce (at most 16 per call, one thread at
    /// a time) into the memo, where the job's own look-up then finds them. Returns whether it
    /// embedded anything. A burst merged later is embedded again as one text.
    func prefetch(_ connection: MariaDBConnection, settings: SettingsSnapshot, embedder: MessageEmbedder) -> Bool {
        guard settings.coaching.enabled, settings.service.embeddings.isEnabled,
              analyser.classifier != nil || (settings.coaching.useCache && settings.service.similarityCache),
              let after = memo.beginPrefetch() else { return false }
        var through = after
        var embedded = false
        defer { memo.endPrefetch(through: through) }
        guard let waiting = try? QueueClaim.waitingCustomerMessages(after: after, limit: 16, connection: connection) else {
            return false
        }
        for (id, content) in waiting {
            through = max(through, id)
            let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !embedder.isKnown(text, settings: settings) else { continue }
            if case .failure = embedder.embed(text, settings: settings, environmentKey: environmentKey) { break }
            embedded = true
        }
        return embedded
    }
}
