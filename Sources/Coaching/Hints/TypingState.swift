import MariaDB

/// Whether an agent is typing in a conversation, stored in the database so that every worker
/// process sees it (`skip_if_agent_typing`).
public struct TypingState {
    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Records the signal for a conversation assigned to the agent; other conversations are not found.
    public func set(agentID: Int, conversationID: Int, isTyping: Bool) throws {
        let owned = try connection.query(
            "SELECT 1 FROM conversations WHERE id = ? AND agent_id = ?", [.int(conversationID), .int(agentID)])
        guard !owned.isEmpty else { throw CoachingError.notFound("conversation not found") }
        try connection.execute("""
            INSERT INTO coaching_typing_state (agent_id, conversation_id, is_typing, updated_at)
            VALUES (?, ?, ?, NOW())
            ON DUPLICATE KEY UPDATE is_typing = VALUES(is_typing), updated_at = NOW()
            """, [.int(agentID), .int(conversationID), .int(isTyping ? 1 : 0)])
    }

    /// Whether the agent's typing signal for the conversation is on and younger than `freshSeconds`.
    public func isTyping(agentID: Int, conversationID: Int, freshSeconds: Int) throws -> Bool {
        try !connection.query("""
            SELECT 1 FROM coaching_typing_state
            WHERE conversation_id = ? AND agent_id = ? AND is_typing = 1 AND updated_at >= NOW() - INTERVAL ? SECOND
            """, [.int(conversationID), .int(agentID), .int(freshSeconds)]).isEmpty
    }
}
