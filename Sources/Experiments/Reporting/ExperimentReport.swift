import Coaching
import MariaDB

/// Computes an `ExperimentComparison` from a handful of grouped SQL queries: the database
/// aggregates, per variant (and per variant × agent for the clustered interval), and only those few
/// rows reach memory however many hints there are.
public struct ExperimentReport {
    private let connection: MariaDBConnection
    private let gate: WinnerGate

    public init(connection: MariaDBConnection, gate: WinnerGate = WinnerGate()) {
        self.connection = connection
        self.gate = gate
    }

    /// `since`: only hints created on or after this `YYYY-MM-DD[ HH:MM:SS]` (session time zone).
    public func compare(_ definition: ExperimentDefinition, templates: [String: PromptTemplate],
                        since: String? = nil) throws -> ExperimentComparison {
        let store = ExperimentStore(connection: connection)
        try store.register([definition])
        let state = try store.states()[definition.key]
        var variants = definition.variants.map { variant in
            ExperimentComparison.Variant(name: variant.name, weight: variant.weight,
                                         isControl: variant.name == definition.control,
                                         templateHash: templates[variant.name]?.hash)
        }
        func update(_ name: String?, _ body: (inout ExperimentComparison.Variant) -> Void) {
            guard let name, let index = variants.firstIndex(where: { $0.name == name }) else { return }
            body(&variants[index])
        }
        let key = SQLValue.text(definition.key)
        let from = SQLValue.text(since ?? "1970-01-02")

        for row in try connection.query("""
            SELECT variant, COUNT(*) FROM coaching_experiment_assignments WHERE experiment_key = ? GROUP BY variant
            """, [key]) {
            update(row.string(0)) { $0.agents = row.int(1) ?? 0 }
        }
        for row in try connection.query("""
            SELECT variant, COUNT(*), SUM(viewed_at IS NOT NULL), SUM(feedback IN ('helpful', 'not_helpful')),
                   SUM(feedback = 'helpful'),
                   SUM(EXISTS (SELECT 1 FROM coaching_hint_events e
                               WHERE e.hint_id = h.id AND e.event = 'suggestion_used'))
            FROM realtime_coaching_hints h WHERE experiment_key = ? AND created_at >= ? GROUP BY variant
            """, [key, from]) {
            update(row.string(0)) {
                $0.hints = row.int(1) ?? 0
                $0.viewed = row.int(2) ?? 0
                $0.helpful.rated = row.int(3) ?? 0
                $0.helpful.helpful = row.int(4) ?? 0
                $0.suggestionsUsed = row.int(5) ?? 0
            }
        }
        var clusters: [String: [ClusteredProportion.Cluster]] = [:]
        for row in try connection.query("""
            SELECT variant, SUM(feedback = 'helpful'), COUNT(*) FROM realtime_coaching_hints
            WHERE experiment_key = ? AND created_at >= ? AND feedback IN ('helpful', 'not_helpful')
            GROUP BY variant, agent_id
            """, [key, from]) {
            guard let name = row.string(0) else { continue }
            clusters[name, default: []].append(.init(successes: row.int(1) ?? 0, trials: row.int(2) ?? 0))
        }
        for (name, list) in clusters {
            update(name) { $0.helpful.clustered = ClusteredProportion(clusters: list) }
        }
        for row in try connection.query("""
            SELECT variant, COUNT(*), SUM(outcome = 'no_hint'), SUM(outcome = 'invalid'), COALESCE(SUM(cost), 0)
            FROM coaching_llm_calls
            WHERE experiment_key = ? AND created_at >= ? AND status = 'settled' AND outcome IN ('hint', 'no_hint', 'invalid')
            GROUP BY variant
            """, [key, from]) {
            update(row.string(0)) {
                $0.modelCalls = row.int(1) ?? 0
                $0.noHintCalls = row.int(2) ?? 0
                $0.invalidCalls = row.int(3) ?? 0
                $0.spend = row.double(4) ?? 0
            }
        }
        for row in try connection.query("""
            SELECT DISTINCT variant,
                   PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY latency_ms) OVER (PARTITION BY variant),
                   PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY latency_ms) OVER (PARTITION BY variant)
            FROM realtime_coaching_hints
            WHERE experiment_key = ? AND created_at >= ? AND latency_ms IS NOT NULL AND source <> 'cache'
            """, [key, from]) {
            update(row.string(0)) {
                $0.latencyP50 = row.double(1)
                $0.latencyP95 = row.double(2)
            }
        }
        for row in try connection.query("""
            SELECT variant, hint_type, COUNT(*), SUM(feedback IN ('helpful', 'not_helpful')), SUM(feedback = 'helpful')
            FROM realtime_coaching_hints WHERE experiment_key = ? AND created_at >= ?
            GROUP BY variant, hint_type ORDER BY variant, COUNT(*) DESC
            """, [key, from]) {
            update(row.string(0)) {
                $0.byType.append(.init(hintType: row.string(1) ?? "", hints: row.int(2) ?? 0, rated: row.int(3) ?? 0,
                                       helpful: row.int(4) ?? 0))
            }
        }
        try addOutcomes(key: key, from: from, update: update)

        let posteriors = variants.map {
            BetaPosterior(helpful: $0.helpful.helpful, notHelpful: $0.helpful.rated - $0.helpful.helpful)
        }
        let controlIndex = variants.firstIndex(where: \.isControl) ?? 0
        if let comparison = BetaPosterior.Comparison(posteriors: posteriors, controlIndex: controlIndex) {
            for index in variants.indices {
                variants[index].probabilityOfBeingBest = comparison.probabilityOfBeingBest[index]
                variants[index].probabilityOfBeatingControl = comparison.probabilityOfBeatingControl[index]
            }
        }
        let sampleRatio = variants.reduce(0) { $0 + $1.agents } > 0
            ? SampleRatioCheck(observed: variants.map(\.agents), expectedWeights: variants.map(\.weight)) : nil
        let verdict = gate.verdict(for: variants.map {
            WinnerGate.Variant(name: $0.name, ratedHints: $0.helpful.rated, agents: $0.helpful.clustered?.clusterCount ?? 0,
                               probabilityOfBeingBest: $0.probabilityOfBeingBest ?? 0)
        }, sampleRatio: sampleRatio)

        let series = try connection.query("""
            SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day, variant,
                   SUM(feedback IN ('helpful', 'not_helpful')), SUM(feedback = 'helpful')
            FROM realtime_coaching_hints WHERE experiment_key = ? AND created_at >= ?
            GROUP BY day, variant ORDER BY day, variant
            """, [key, from]).compactMap { row -> ExperimentComparison.DayPoint? in
            guard let day = row.string(0), let variant = row.string(1) else { return nil }
            return .init(day: day, variant: variant, rated: row.int(2) ?? 0, helpful: row.int(3) ?? 0)
        }
        return ExperimentComparison(definition: definition, state: state, since: since, variants: variants,
                                    sampleRatio: sampleRatio, verdict: verdict, series: series)
    }

    /// Coached conversations per variant and their business outcome: the chat application's report
    /// when there is one, else the conversation's own status when it names an outcome.
    private func addOutcomes(key: SQLValue, from: SQLValue,
                             update: ((String?, (inout ExperimentComparison.Variant) -> Void) -> Void)) throws {
        for row in try connection.query("""
            SELECT variant, COUNT(*), SUM(outcome IS NOT NULL), SUM(outcome = 'won'), SUM(outcome = 'lost'),
                   SUM(outcome = 'resolved'), SUM(outcome = 'abandoned'), COALESCE(SUM(IF(outcome = 'won', value, 0)), 0)
            FROM (
                SELECT x.variant, x.conversation_id, o.value,
                       COALESCE(o.outcome, CASE c.status WHEN 'won' THEN 'won' WHEN 'lost' THEN 'lost'
                                                         WHEN 'resolved' THEN 'resolved' WHEN 'closed' THEN 'resolved'
                                                         WHEN 'abandoned' THEN 'abandoned' END) AS outcome
                FROM (SELECT DISTINCT variant, conversation_id FROM realtime_coaching_hints
                      WHERE experiment_key = ? AND created_at >= ?) x
                LEFT JOIN conversations c ON c.id = x.conversation_id
                LEFT JOIN coaching_conversation_outcomes o ON o.conversation_id = x.conversation_id
            ) coached
            GROUP BY variant
            """, [key, from]) {
            update(row.string(0)) {
                $0.outcomes = .init(conversations: row.int(1) ?? 0, withOutcome: row.int(2) ?? 0, won: row.int(3) ?? 0,
                                    lost: row.int(4) ?? 0, resolved: row.int(5) ?? 0, abandoned: row.int(6) ?? 0,
                                    wonValue: row.double(7) ?? 0)
            }
        }
    }
}
