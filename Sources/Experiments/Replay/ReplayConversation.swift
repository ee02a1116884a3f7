import Coaching
import Foundation
import MariaDB
import JSON

/// A past conversation to replay through every variant: its dialogue in order. Read from a JSONL
/// file (`{"id":…,"messages":[{"from":"customer"|"agent","text":…}]}` per line) or from the
/// `messages` table.
public struct ReplayConversation: Sendable {
    public let id: String
    public let turns: [AnalysisInput.Turn]

    public init(id: String, turns: [AnalysisInput.Turn]) {
        self.id = id
        self.turns = turns
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(file: String) throws -> [ReplayConversation] {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw Invalid(description: "\(file): cannot be read (\(error.localizedDescription))")
        }
        var conversations: [ReplayConversation] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            func fail(_ problem: String) -> Invalid { Invalid(description: "\(file):\(index + 1): \(problem)") }
            let object: JSONValue
            do {
                object = try JSONParser.parse(String(trimmed))
            } catch {
                throw fail("not valid JSON (\(error.message))")
            }
            guard let messages = object["messages"]?.arrayValue else { throw fail("\"messages\" must be an array") }
            var turns: [AnalysisInput.Turn] = []
            for message in messages {
                guard let text = message["text"]?.stringValue,
                      let speaker = message["from"]?.stringValue.flatMap(AnalysisInput.Turn.Speaker.init) else {
                    throw fail("each message needs \"from\" (customer or agent) and \"text\"")
                }
                turns.append(.init(speaker: speaker, text: text))
            }
            let id = object["id"]?.stringValue ?? object["id"]?.intValue.map(String.init) ?? "line \(index + 1)"
            conversations.append(ReplayConversation(id: id, turns: turns))
        }
        return conversations
    }

    /// The most recent `limit` conversations that have a customer message, dialogue only.
    public static func load(connection: MariaDBConnection, limit: Int, since: String?) throws -> [ReplayConversation] {
        let ids = try connection.query("""
            SELECT conversation_id FROM messages
            WHERE sender_type = 'contact' AND created_at >= ?
            GROUP BY conversation_id ORDER BY MAX(id) DESC LIMIT ?
            """, [.text(since ?? "1970-01-02"), .int(limit)]).compactMap { $0.int(0) }
        return try ids.map { id in
            let turns = try connection.query("""
                SELECT sender_type, content FROM messages
                WHERE conversation_id = ? AND sender_type IN ('contact', 'agent')
                  AND COALESCE(message_type, 'text') = 'text' ORDER BY id
                """, [.int(id)]).map { row in
                AnalysisInput.Turn(speaker: row.string(0) == "contact" ? .customer : .agent, text: row.string(1) ?? "")
            }
            return ReplayConversation(id: String(id), turns: turns)
        }
    }
}
