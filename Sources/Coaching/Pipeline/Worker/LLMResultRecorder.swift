import Logging
import MariaDB

/// Records what came back from the LLM for one job: the ledger settled, the answer cached, and the
/// outcome (and hint) saved in one transaction, then the hint published. Errors go through the one
/// retry policy; an open circuit hands the job to the local analyser; a cancelled call waits for
/// its next claim without using an attempt.
struct LLMResultRecorder {
    let connection: MariaDBConnection
    let workerID: String
    let publisher: any HintPublisher
    let local: LocalAnalysisRunner
    let embedder: MessageEmbedder
    let logger: Logger

    func record(_ call: PendingCall, _ result: Result<ChatCompletionResponse, LLMError>) throws {
        let claim = QueueClaim(connection: connection, workerID: workerID)
        let delivery = HintDelivery(connection: connection, claim: claim, publisher: publisher, logger: logger)
        switch result {
        case .success(let response):
            try recordAnswer(call, response, delivery: delivery)
        case .failure(let error):
            try recordFailure(call, error, delivery: delivery)
        }
    }

    private func recordAnswer(_ call: PendingCall, _ response: ChatCompletionResponse, delivery: HintDelivery) throws {
        let ledger = CostLedger(connection: connection)
        let cost = call.price.cost(promptTokens: response.promptTokens, completionTokens: response.completionTokens)
        PipelineMetrics.llmCall(model: call.model, result: "ok", latencyMilliseconds: response.latencyMilliseconds,
                                promptTokens: response.promptTokens, completionTokens: response.completionTokens, cost: cost)
        let modelUsed = response.model.isEmpty ? call.model : response.model
        do {
            // Settling the call and recording its outcome are one transaction: a crash between them
            // cannot leave a paid answer unrecorded and make the job call the model again.
            let saved: Hint? = try connection.transaction {
                let output = try OutputValidator.parse(response.content, enabledTypes: call.input.enabledTypes)
                try ledger.settle(call.reservation, promptTokens: response.promptTokens,
                                  completionTokens: response.completionTokens, cost: cost,
                                  latencyMilliseconds: response.latencyMilliseconds,
                                  outcome: output.hasHint ? "hint" : "no_hint", error: nil)
                if let scope = call.cacheScope {
                    try? HintCache(connection: connection).store(
                        messages: call.input.messages, context: call.input.context, scope: scope, output: output,
                        embedding: call.embedding, modelUsed: modelUsed, ttlMinutes: call.settings.coaching.cacheTTLMinutes)
                }
                guard output.hasHint else {
                    try delivery.claim.finish(call.job, outcome: .noHint)
                    return nil
                }
                let draft = HintWriter.Draft(output: output, modelUsed: modelUsed,
                                             tokensUsed: response.promptTokens + response.completionTokens, cost: cost,
                                             latencyMilliseconds: response.latencyMilliseconds, source: "llm",
                                             prompt: call.prompt)
                return try delivery.save(draft, job: call.job, subject: call.subject, agentID: call.agentID, outcome: .hint)
            }
            if let saved { delivery.publish(saved, language: call.settings.service.language) }
        } catch let invalid as OutputValidator.Invalid {
            try ledger.settle(call.reservation, promptTokens: response.promptTokens,
                              completionTokens: response.completionTokens, cost: cost,
                              latencyMilliseconds: response.latencyMilliseconds, outcome: "invalid", error: invalid.reason)
            try delivery.claim.retry(call.job, policy: JobRetryPolicy(service: call.settings.service),
                                     error: "invalid output: \(invalid.reason)")
        }
    }

    private func recordFailure(_ call: PendingCall, _ error: LLMError, delivery: HintDelivery) throws {
        var promptTokens = 0
        var completionTokens = 0
        if case .invalidResponse(_, let prompt, let completion) = error {
            promptTokens = prompt
            completionTokens = completion
        }
        let cost = call.price.cost(promptTokens: promptTokens, completionTokens: completionTokens)
        PipelineMetrics.llmCall(model: call.model, result: error.metricsKind, latencyMilliseconds: nil,
                                promptTokens: promptTokens, completionTokens: completionTokens, cost: cost)
        try CostLedger(connection: connection).settle(call.reservation, promptTokens: promptTokens,
                                                      completionTokens: completionTokens, cost: cost,
                                                      latencyMilliseconds: nil, outcome: "error", error: "\(error)")
        switch error {
        case .circuitOpen:
            let embedding = call.embedding.map { LocalAnalysisRunner.EmbeddingResult.success($0) }
                ?? local.embeddingForAnalyser { local.embed(call.input, settings: call.settings, embedder: embedder) }
            try local.answer(call.job, subject: call.subject, agentID: call.agentID, input: call.input,
                             settings: call.settings, prompt: call.prompt, delivery: delivery, outcomeIfHint: .hint,
                             embedding: embedding)
        case .cancelled:
            try delivery.claim.postpone(call.job, bySeconds: 0)
        default:
            try delivery.claim.retry(call.job, policy: JobRetryPolicy(service: call.settings.service), error: "\(error)")
        }
    }
}
