import Coaching
import MariaDB

/// The business result of a coached conversation (the seed's "hints that helped close a sale"),
/// reported by the chat application. The latest report for a conversation wins; conversations
/// nobody reports on are read from their own status by `ExperimentReport`.
public struct ConversationOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case won, lost, resolved, abandoned
    }

    public let conversationID: Int
    public let kind: Kind
    /// The sale's value, for `won`; any currency, as long as one is used throughout.
    public let value: Double?

    public init(conversationID: Int, kind: Kind, value: Double?) {
        self.conversationID = conversationID
        self.kind = kind
        self.value = value
    }

    /// Stores the outcome; false when the conversation does not exist.
    public func record(connection: MariaDBConnection) throws -> Bool {
        guard try !connection.query("SELECT 1 FROM conversations WHERE id = ?", [.int(conversationID)]).isEmpty else {
            return false
        }
        try connection.execute("""
            INSERT INTO coaching_conversation_outcomes (conversation_id, outcome, value, source)
            VALUES (?, ?, ?, 'api')
            ON DUPLICATE KEY UPDATE outcome = VALUES(outcome), value = VALUES(value), source = 'api'
            """, [.int(conversationID), .text(kind.rawValue), value.map(SQLValue.double) ?? .null])
        return true
    }
}
