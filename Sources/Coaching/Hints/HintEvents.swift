import MariaDB
import JSON

/// The append-only history of what agents did with hints (`coaching_hint_events`).
public struct HintEvents {
    public enum Kind: String, Sendable {
        case shown, viewed, feedback, dismissed
        case suggestionUsed = "suggestion_used"
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    public func record(_ kind: Kind, hintID: Int, agentID: Int, detail: JSONValue? = nil) throws {
        try connection.execute("""
            INSERT INTO coaching_hint_events (hint_id, agent_id, event, detail) VALUES (?, ?, ?, ?)
            """, [.int(hintID), .int(agentID), .text(kind.rawValue), .optional(detail.map(JSONWriter.string))])
    }
}
