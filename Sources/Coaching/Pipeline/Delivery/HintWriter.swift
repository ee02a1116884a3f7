import MariaDB
import JSON

/// Saves a hint and the job's outcome in one transaction. `coaching_hint_messages` has the message
/// id as primary key (read with a lock first), so a second hint for the same message is impossible
/// even if two workers race after a lease expiry; and nothing is written unless this worker still
/// holds the lease.
public struct HintWriter {
    public struct Draft: Sendable {
        public var output: AnalysisOutput
        public var modelUsed: String
        public var tokensUsed: Int
        public var cost: Double
        public var latencyMilliseconds: Int?
        public var source: String
        public var prompt: PromptChoice?
    }

    private let connection: MariaDBConnection
    private let claim: QueueClaim

    public init(connection: MariaDBConnection, claim: QueueClaim) {
        self.connection = connection
        self.claim = claim
    }

    /// Returns the saved hint. Throws `Conflict` before writing anything when the message already
    /// has a hint or this worker no longer holds the lease, so callers may run it inside a larger
    /// transaction.
    public func save(_ draft: Draft, job: QueueJob, subject: JobSubject, agentID: Int, outcome: MessageOutcome) throws -> Hint? {
        guard let type = draft.output.hintType else { return nil }
        return try connection.transaction {
            if try !connection.query("SELECT hint_id FROM coaching_hint_messages WHERE message_id = ? FOR UPDATE",
                                     [.int(subject.messageID)]).isEmpty {
                throw Conflict.alreadyHinted
            }
            guard try claim.finish(job, outcome: outcome) else { throw Conflict.leaseLost }
            let suggestions = JSONWriter.string(.array(draft.output.suggestions.map(JSONValue.string)))
            let inserted = try connection.execute("""
                INSERT INTO realtime_coaching_hints
                    (conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used, tokens_used,
                     cost, latency_ms, queue_id, source, variant, experiment_key, template_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.int(subject.conversationID), .int(agentID), .int(subject.messageID), .text(type.rawValue),
                      .text(draft.output.hintText), .text(suggestions), .text(String(draft.modelUsed.prefix(50))),
                      .int(draft.tokensUsed), .double(draft.cost), .optional(draft.latencyMilliseconds), .int(job.id),
                      .text(draft.source), .optional(draft.prompt?.variant), .optional(draft.prompt?.experimentKey),
                      .optional(draft.prompt?.template.hash)])
            let hintID = inserted.lastInsertID
            try connection.execute("INSERT INTO coaching_hint_messages (message_id, hint_id) VALUES (?, ?)",
                                   [.int(subject.messageID), .int(hintID)])
            try connection.execute("UPDATE coaching_queue SET hint_id = ? WHERE id = ?", [.int(hintID), .int(job.id)])
            return try HintStore(connection: connection).find(id: hintID, agentID: agentID)
        }
    }

    enum Conflict: Error { case alreadyHinted, leaseLost }
}
