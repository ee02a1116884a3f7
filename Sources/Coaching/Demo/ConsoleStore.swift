import MariaDB
import JSON

/// What the demo agent console reads and writes: the agent's assigned conversations, their
/// transcripts, and the agent's replies (stored as `agent` messages, as the chat system would).
public struct ConsoleStore {
    public struct Conversation: Sendable {
        public let id: Int
        public let status: String
        public let contactID: Int?
        public let lastMessage: String?
        public let lastMessageAt: String?
    }

    public struct Message: Sendable {
        public let id: Int
        public let senderType: String
        public let content: String
        public let messageType: String
        public let createdAt: String

        public var json: JSONValue {
            .object([
                ("id", .int(id)), ("sender_type", .string(senderType)), ("content", .string(content)),
                ("message_type", .string(messageType)), ("created_at", .string(createdAt)),
            ])
        }
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    public func agentName(_ agentID: Int) throws -> String? {
        try connection.query("SELECT name FROM users WHERE id = ?", [.int(agentID)]).first?.string(0)
    }

    public func conversations(agentID: Int, limit: Int = 100) throws -> [Conversation] {
        try connection.query("""
            SELECT c.id, COALESCE(c.status, 'open'), c.contact_id,
                   (SELECT m.content FROM messages m WHERE m.conversation_id = c.id AND COALESCE(m.message_type, 'text') <> 'note'
                    ORDER BY m.id DESC LIMIT 1),
                   (SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1)
            FROM conversations c
            WHERE c.agent_id = ?
            ORDER BY c.id
            LIMIT ?
            """, [.int(agentID), .int(limit)]).map { row in
            Conversation(id: row.int(0) ?? 0, status: row.string(1) ?? "open", contactID: row.int(2),
                         lastMessage: row.string(3), lastMessageAt: row.string(4))
        }
    }

    /// The last `limit` messages, oldest first; nil when the conversation is not the agent's.
    public func messages(conversationID: Int, agentID: Int, limit: Int = 100) throws -> [Message]? {
        guard try owns(conversationID: conversationID, agentID: agentID) else { return nil }
        return try connection.query("""
            SELECT id, sender_type, content, COALESCE(message_type, 'text'), created_at FROM messages
            WHERE conversation_id = ? AND COALESCE(message_type, 'text') <> 'note'
            ORDER BY id DESC LIMIT ?
            """, [.int(conversationID), .int(limit)]).reversed().map { row in
            Message(id: row.int(0) ?? 0, senderType: row.string(1) ?? "", content: row.string(2) ?? "",
                    messageType: row.string(3) ?? "text", createdAt: row.string(4) ?? "")
        }
    }

    /// Stores the agent's reply; nil when the conversation is not the agent's.
    public func reply(conversationID: Int, agentID: Int, content: String) throws -> Message? {
        guard try owns(conversationID: conversationID, agentID: agentID) else { return nil }
        let id = try connection.execute("""
            INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type)
            VALUES (?, 'agent', ?, ?, 'text')
            """, [.int(conversationID), .int(agentID), .text(content)]).lastInsertID
        return try messages(conversationID: conversationID, agentID: agentID, limit: 1)?.first { $0.id == id }
    }

    private func owns(conversationID: Int, agentID: Int) throws -> Bool {
        !(try connection.query("SELECT 1 FROM conversations WHERE id = ? AND agent_id = ?",
                               [.int(conversationID), .int(agentID)])).isEmpty
    }
}
