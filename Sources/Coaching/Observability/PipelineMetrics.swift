import Metrics

/// The pipeline's counters and timers, through swift-metrics so the domain never depends on how
/// they are exported (`coaching serve` exports them as Prometheus text at `/coaching/metrics`; in
/// unit tests nothing is bootstrapped and they cost nothing). Names follow Prometheus conventions:
/// base units, `_total` for counters.
public enum PipelineMetrics {
    /// One recorded message outcome (SPEC §4.2), counted when the queue row took it.
    public static func outcome(_ outcome: MessageOutcome) {
        Counter(label: "coaching_message_outcomes_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }

    /// One finished LLM call: `result` is `ok`, `invalid` (answered, but not a usable hint) or the
    /// error kind.
    public static func llmCall(model: String, result: String, latencyMilliseconds: Int?, promptTokens: Int,
                               completionTokens: Int, cost: Double) {
        Counter(label: "coaching_llm_calls_total", dimensions: [("model", model), ("result", result)]).increment()
        if let latencyMilliseconds {
            Timer(label: "coaching_llm_request_duration_seconds", dimensions: [("model", model)])
                .recordMilliseconds(latencyMilliseconds)
        }
        if promptTokens > 0 {
            Counter(label: "coaching_llm_tokens_total", dimensions: [("model", model), ("kind", "prompt")])
                .increment(by: promptTokens)
        }
        if completionTokens > 0 {
            Counter(label: "coaching_llm_tokens_total", dimensions: [("model", model), ("kind", "completion")])
                .increment(by: completionTokens)
        }
        if cost > 0 {
            FloatingPointCounter(label: "coaching_llm_cost_usd_total", dimensions: [("model", model)]).increment(by: cost)
        }
    }

    /// One look-up in the hint cache (SPEC §4.7).
    public static func cacheLookup(hit: Bool) {
        Counter(label: "coaching_hint_cache_lookups_total", dimensions: [("result", hit ? "hit" : "miss")]).increment()
    }

    /// One publish of a hint to an agent's push channel.
    public static func pushPublish(delivered: Bool) {
        Counter(label: "coaching_push_publishes_total", dimensions: [("result", delivered ? "ok" : "failed")]).increment()
    }

    /// One request to the embeddings server: `result` is `ok` or an `EmbeddingsError.kind`.
    public static func embeddingsRequest(result: String, seconds: Double) {
        Counter(label: "coaching_embeddings_requests_total", dimensions: [("result", result)]).increment()
        Timer(label: "coaching_embeddings_request_duration_seconds").recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    /// What the pre-filter did with one job: `filtered` (no situation), `local_answer` (a situation
    /// the classifier was sure enough of, answered without the LLM) or `llm` (left to the LLM).
    public static func prefilterDecision(_ decision: String) {
        Counter(label: "coaching_prefilter_decisions_total", dimensions: [("decision", decision)]).increment()
    }

    /// One local-analyser decision: `method` is `combined` or `rules`; `fallback` says why the
    /// rules decided alone although embeddings are configured (`none` when they were not needed).
    public static func localDecision(method: String, fallback: String) {
        Counter(label: "coaching_local_analyser_decisions_total", dimensions: [("method", method), ("fallback", fallback)]).increment()
    }
}
