import MariaDB

/// Everything the filters and the analyser need to know about a claimed job, read in a few indexed
/// queries: the message, its conversation's current agent, and the dialogue before it.
public struct JobSubject: Sendable {
    public let messageID: Int
    public let conversationID: Int
    public let senderType: String
    public let messageType: String
    public let content: String
    public let ageSeconds: Int
    /// The agent assigned now (re-read at analysis time; reassignment must not strand hints).
    public let assignedAgentID: Int?
    public let agentName: String?

    static let dialogueTypes = "('contact','agent')"

    public static func load(messageID: Int, connection: MariaDBConnection) throws -> JobSubject? {
        let rows = try connection.query("""
            SELECT m.id, m.conversation_id, m.sender_type, COALESCE(m.message_type, 'text'), m.content,
                   TIMESTAMPDIFF(SECOND, m.created_at, NOW()), c.agent_id, u.name
            FROM messages m
            LEFT JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN users u ON u.id = c.agent_id
            WHERE m.id = ?
            """, [.int(messageID)])
        guard let row = rows.first else { return nil }
        return JobSubject(
            messageID: row.int(0) ?? messageID, conversationID: row.int(1) ?? 0, senderType: row.string(2) ?? "",
            messageType: row.string(3) ?? "text", content: row.string(4) ?? "", ageSeconds: max(row.int(5) ?? 0, 0),
            assignedAgentID: row.int(6).flatMap { $0 > 0 ? $0 : nil }, agentName: row.string(7))
    }

    /// Whether an agent wrote in the conversation after this message.
    public func isAnswered(connection: MariaDBConnection) throws -> Bool {
        !(try connection.query("""
            SELECT 1 FROM messages
            WHERE conversation_id = ? AND id > ? AND sender_type = 'agent' AND COALESCE(message_type, 'text') <> 'note'
            LIMIT 1
            """, [.int(conversationID), .int(messageID)])).isEmpty
    }

    /// The last `limit` dialogue turns before `beforeMessageID`, oldest first; notes and system
    /// messages are left out and media become placeholders.
    public static func context(conversationID: Int, beforeMessageID: Int, limit: Int,
                               connection: MariaDBConnection) throws -> [AnalysisInput.Turn] {
        guard limit > 0 else { return [] }
        let rows = try connection.query("""
            SELECT sender_type, COALESCE(message_type, 'text'), content FROM messages
            WHERE conversation_id = ? AND id < ? AND sender_type IN \(dialogueTypes)
              AND COALESCE(message_type, 'text') <> 'note'
            ORDER BY id DESC LIMIT ?
            """, [.int(conversationID), .int(beforeMessageID), .int(limit)])
        return rows.reversed().map { row in
            AnalysisInput.Turn(speaker: row.string(0) == "contact" ? .customer : .agent,
                               text: displayText(type: row.string(1) ?? "text", content: row.string(2) ?? ""))
        }
    }

    static func displayText(type: String, content: String) -> String {
        if type == "text" { return content }
        let caption = content.trimmingSpaces
        return caption.isEmpty ? "[\(type)]" : "[\(type)] \(caption)"
    }

    public var characterCount: Int { content.trimmingSpaces.unicodeScalars.count }
}
