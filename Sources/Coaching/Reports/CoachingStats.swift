import MariaDB
import JSON

/// Aggregates over hints and their events for one agent (or all agents) in a period, computed in SQL.
public struct CoachingStats {
    public struct Summary: Sendable, Equatable {
        public var totalHints = 0
        public var viewed = 0
        public var helpful = 0
        public var notHelpful = 0
        public var suggestionsUsed = 0
        public var totalTokens = 0
        public var totalCost = 0.0
        public var averageLatencyMilliseconds: Double?
    }

    public struct TypeRow: Sendable, Equatable {
        public var hintType: String
        public var total: Int
        public var viewed: Int
        public var helpful: Int
        public var notHelpful: Int
        public var suggestionsUsed: Int
        public var totalCost: Double

        /// One `by_type` entry, the shape `/coaching/stats` has always answered with (the admin stats too).
        public func json(language: String) -> JSONValue {
            .object([
                ("hint_type", .string(hintType)),
                ("label", .string(HintType.label(for: hintType, language: language))),
                ("total", .int(total)),
                ("viewed", .int(viewed)),
                ("helpful", .int(helpful)),
                ("not_helpful", .int(notHelpful)),
                ("suggestions_used", .int(suggestionsUsed)),
                ("total_cost", .double(totalCost)),
            ])
        }
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// `agentID == nil` means every agent (supervisors and admins only; the caller checks).
    public func compute(agentID: Int?, period: StatsPeriod) throws -> (Summary, [TypeRow]) {
        let agentFilter = agentID == nil ? "" : "AND h.agent_id = ?"
        var parameters: [SQLValue] = [.int(period.seconds)]
        if let agentID { parameters.append(.int(agentID)) }
        let rows = try connection.query("""
            SELECT h.hint_type,
                   COUNT(*),
                   SUM(h.viewed_at IS NOT NULL),
                   SUM(h.feedback = 'helpful'),
                   SUM(h.feedback = 'not_helpful'),
                   SUM(EXISTS (SELECT 1 FROM coaching_hint_events e
                               WHERE e.hint_id = h.id AND e.event = 'suggestion_used')),
                   COALESCE(SUM(h.tokens_used), 0),
                   COALESCE(SUM(h.cost), 0),
                   SUM(h.latency_ms),
                   COUNT(h.latency_ms)
            FROM realtime_coaching_hints h
            WHERE h.created_at >= NOW() - INTERVAL ? SECOND \(agentFilter)
            GROUP BY h.hint_type
            ORDER BY COUNT(*) DESC, h.hint_type
            """, parameters)
        var summary = Summary()
        var latencySum = 0.0
        var latencyCount = 0
        var types: [TypeRow] = []
        for row in rows {
            let type = TypeRow(
                hintType: row.string(0) ?? "",
                total: row.int(1) ?? 0,
                viewed: row.int(2) ?? 0,
                helpful: row.int(3) ?? 0,
                notHelpful: row.int(4) ?? 0,
                suggestionsUsed: row.int(5) ?? 0,
                totalCost: row.double(7) ?? 0
            )
            types.append(type)
            summary.totalHints += type.total
            summary.viewed += type.viewed
            summary.helpful += type.helpful
            summary.notHelpful += type.notHelpful
            summary.suggestionsUsed += type.suggestionsUsed
            summary.totalTokens += row.int(6) ?? 0
            summary.totalCost += type.totalCost
            latencySum += row.double(8) ?? 0
            latencyCount += row.int(9) ?? 0
        }
        summary.averageLatencyMilliseconds = latencyCount > 0 ? latencySum / Double(latencyCount) : nil
        return (summary, types)
    }
}
