import MariaDB

/// The doors into the queue. Whatever door a message comes through, `coaching_message_intake`'s
/// primary key lets it in once; enqueueing is one short transaction and never waits on analysis.
public struct MessageIntake {
    public enum Door: String, Sendable { case listener, api, watch }

    public struct Accepted: Sendable, Equatable {
        public let messageID: Int
        public let queueID: Int?
        /// False when the message was already queued through some door.
        public let queued: Bool
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Queues an existing message once. `delay` is the debounce (`queue_processing_delay`).
    public func enqueue(messageID: Int, conversationID: Int, agentID: Int, door: Door, delay: Double) throws -> Accepted {
        try connection.transaction {
            let existing = try connection.query(
                "SELECT queue_id FROM coaching_message_intake WHERE message_id = ? FOR UPDATE", [.int(messageID)])
            if let row = existing.first {
                return Accepted(messageID: messageID, queueID: row.int(0), queued: false)
            }
            let inserted = try connection.execute("""
                INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, source, enqueued_at, available_at)
                VALUES (?, ?, ?, 'pending', ?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)
                """, [.int(messageID), .int(conversationID), .int(agentID), .text(door.rawValue),
                      .int(Int(delay * 1_000_000))])
            try connection.execute("INSERT INTO coaching_message_intake (message_id, queue_id) VALUES (?, ?)",
                                   [.int(messageID), .int(inserted.lastInsertID)])
            return Accepted(messageID: messageID, queueID: inserted.lastInsertID, queued: true)
        }
    }

    /// Stores a new message for a conversation (the API door without `message_id`) and returns its id.
    public func storeMessage(conversationID: Int, senderType: String, senderID: Int?, content: String,
                             messageType: String, createdAt: String?) throws -> Int {
        if let createdAt {
            return try connection.execute("""
                INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [.int(conversationID), .text(senderType), .optional(senderID), .text(content), .text(messageType),
                      .text(createdAt)]).lastInsertID
        }
        return try connection.execute("""
            INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type)
            VALUES (?, ?, ?, ?, ?)
            """, [.int(conversationID), .text(senderType), .optional(senderID), .text(content), .text(messageType)]).lastInsertID
    }

    /// Door 3: customer messages newer than the persisted cursor, queued in id order. The cursor
    /// moves in the same transaction as the intake rows, so a crash repeats nothing and skips nothing.
    /// Returns how many `messages` rows were read (a full batch means more may be waiting).
    @discardableResult
    public func watchMessagesTable(batch: Int, delay: Double) throws -> Int {
        try connection.transaction {
            try connection.execute("INSERT IGNORE INTO coaching_cursors (name, position) VALUES ('messages', 0)")
            let cursor = try connection.query(
                "SELECT position FROM coaching_cursors WHERE name = 'messages' FOR UPDATE").first?.int(0) ?? 0
            let rows = try connection.query("""
                SELECT m.id, m.conversation_id, c.agent_id, m.sender_type
                FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
                WHERE m.id > ? ORDER BY m.id LIMIT ?
                """, [.int(cursor), .int(batch)])
            guard let last = rows.last?.int(0) else { return 0 }
            for row in rows where row.string(3) == "contact" {
                guard let messageID = row.int(0), let conversationID = row.int(1) else { continue }
                _ = try enqueue(messageID: messageID, conversationID: conversationID,
                                agentID: row.int(2) ?? 0, door: .watch, delay: delay)
            }
            try connection.execute("UPDATE coaching_cursors SET position = ? WHERE name = 'messages'", [.int(last)])
            return rows.count
        }
    }

    /// Starts the watcher at the current end of the table, so enabling it does not replay history.
    public func initialiseWatchCursorAtEnd() throws {
        try connection.execute("""
            INSERT IGNORE INTO coaching_cursors (name, position)
            SELECT 'messages', COALESCE(MAX(id), 0) FROM messages
            """)
    }
}
