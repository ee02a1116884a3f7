import MariaDB
import JSON

/// Reads and agent actions on `realtime_coaching_hints`. Every statement carries the agent id, so a
/// hint that belongs to someone else is simply not found.
public struct HintStore {
    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    static let columns = """
        h.id, h.conversation_id, h.agent_id, h.message_id, h.hint_type, h.hint_text, h.suggestions, \
        h.model_used, h.tokens_used, h.cost, h.viewed_at, h.feedback, h.created_at
        """

    public static let maxPendingSeconds = 3600
    public static let maxConversationLimit = 500

    /// Hints created in the last `seconds` seconds for one conversation, newest first.
    public func pending(agentID: Int, conversationID: Int, seconds: Int, limit: Int = 100) throws -> [Hint] {
        let rows = try connection.query("""
            SELECT \(Self.columns), m.content, UNIX_TIMESTAMP(h.created_at)
            FROM realtime_coaching_hints h
            LEFT JOIN messages m ON m.id = h.message_id
            WHERE h.conversation_id = ? AND h.agent_id = ? AND h.created_at >= NOW() - INTERVAL ? SECOND
            ORDER BY h.created_at DESC, h.id DESC
            LIMIT ?
            """, [.int(conversationID), .int(agentID), .int(seconds), .int(limit)])
        return rows.map { row in
            var hint = Self.hint(from: row, messageBodyColumn: 13)
            hint.createdAtEpoch = row.int(14)
            return hint
        }
    }

    /// The latest hints of one conversation, newest first.
    public func forConversation(agentID: Int, conversationID: Int, limit: Int) throws -> [Hint] {
        let rows = try connection.query("""
            SELECT \(Self.columns)
            FROM realtime_coaching_hints h
            WHERE h.conversation_id = ? AND h.agent_id = ?
            ORDER BY h.created_at DESC, h.id DESC
            LIMIT ?
            """, [.int(conversationID), .int(agentID), .int(limit)])
        return rows.map { Self.hint(from: $0, messageBodyColumn: nil) }
    }

    public func find(id: Int, agentID: Int) throws -> Hint? {
        let rows = try connection.query("""
            SELECT \(Self.columns) FROM realtime_coaching_hints h WHERE h.id = ? AND h.agent_id = ?
            """, [.int(id), .int(agentID)])
        return rows.first.map { Self.hint(from: $0, messageBodyColumn: nil) }
    }

    /// Sets `viewed_at` the first time only and returns it; later calls return the same value.
    public func markViewed(id: Int, agentID: Int) throws -> String {
        try connection.transaction {
            let changed = try connection.execute("""
                UPDATE realtime_coaching_hints SET viewed_at = NOW()
                WHERE id = ? AND agent_id = ? AND viewed_at IS NULL
                """, [.int(id), .int(agentID)])
            if changed.affectedRows > 0 {
                try HintEvents(connection: connection).record(.viewed, hintID: id, agentID: agentID)
            }
            guard let hint = try find(id: id, agentID: agentID), let viewedAt = hint.viewedAt else {
                throw CoachingError.notFound("hint not found")
            }
            return viewedAt
        }
    }

    /// Stores the rating (last write wins) and keeps every rating in the event history.
    public func setFeedback(id: Int, agentID: Int, feedback: HintFeedback, reason: String?) throws {
        try connection.transaction {
            let matched = try connection.execute("""
                UPDATE realtime_coaching_hints SET feedback = ? WHERE id = ? AND agent_id = ?
                """, [.text(feedback.rawValue), .int(id), .int(agentID)])
            guard matched.affectedRows > 0 else { throw CoachingError.notFound("hint not found") }
            var detail: [(String, JSONValue)] = [("feedback", .string(feedback.rawValue))]
            if let reason, !reason.isEmpty { detail.append(("reason", .string(String(reason.prefix(500))))) }
            try HintEvents(connection: connection).record(.feedback, hintID: id, agentID: agentID, detail: .object(detail))
        }
    }

    /// Records that the agent used suggestion `index`, marks the hint viewed, returns the text.
    public func useSuggestion(id: Int, agentID: Int, index: Int) throws -> String {
        try connection.transaction {
            guard let hint = try find(id: id, agentID: agentID) else { throw CoachingError.notFound("hint not found") }
            guard index >= 0, index < hint.suggestions.count else {
                throw CoachingError.invalid(field: "suggestion_index",
                                            message: "suggestion_index must be between 0 and \(max(hint.suggestions.count - 1, 0))")
            }
            let events = HintEvents(connection: connection)
            let changed = try connection.execute("""
                UPDATE realtime_coaching_hints SET viewed_at = NOW()
                WHERE id = ? AND agent_id = ? AND viewed_at IS NULL
                """, [.int(id), .int(agentID)])
            if changed.affectedRows > 0 { try events.record(.viewed, hintID: id, agentID: agentID) }
            try events.record(.suggestionUsed, hintID: id, agentID: agentID, detail: .object([("index", .int(index))]))
            return hint.suggestions[index]
        }
    }

    static func hint(from row: SQLRow, messageBodyColumn: Int?) -> Hint {
        Hint(
            id: row.int(0) ?? 0,
            conversationID: row.int(1) ?? 0,
            agentID: row.int(2) ?? 0,
            messageID: row.int(3),
            hintType: row.string(4) ?? "",
            hintText: row.string(5) ?? "",
            suggestions: Hint.parseSuggestions(row.string(6)),
            modelUsed: row.string(7),
            tokensUsed: row.int(8) ?? 0,
            cost: row.double(9) ?? 0,
            viewedAt: row.string(10),
            feedback: row.string(11),
            createdAt: row.string(12) ?? "",
            messageBody: messageBodyColumn.flatMap { row.string($0) },
            createdAtEpoch: nil
        )
    }
}
