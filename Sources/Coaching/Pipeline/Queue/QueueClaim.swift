import MariaDB

/// Leasing on `coaching_queue`, in the manner of a database-backed job queue: claim with
/// `FOR UPDATE SKIP LOCKED` so processes never wait on each other, hold a lease (`locked_until`),
/// and let any process reclaim a row whose lease expired (its worker died). Every transition out of
/// `processing` is conditional on still holding the lease, so a worker that lost its lease cannot
/// record a second outcome.
public struct QueueClaim {
    private let connection: MariaDBConnection
    private let workerID: String

    public init(connection: MariaDBConnection, workerID: String) {
        self.connection = connection
        self.workerID = workerID
    }

    /// Claims up to `limit` due rows: expired leases first, then pending rows in due order. Both
    /// reads are index range scans, so a long backlog neither slows a claim nor gets locked by it.
    /// `maxAhead` bounds the count of unfinished rows queued before the batch (`max_queue_size`).
    public func claim(limit: Int, leaseSeconds: Int, debounce: Double, maxAhead: Int = 100) throws -> [QueueJob] {
        // Rows from the original listener carry no `available_at`: give them one (debounce after
        // `added_at`) so that every due check below is a range on (status, available_at). Found by a
        // plain read and updated by primary key, so only those rows are locked, never the rows
        // other workers are claiming.
        let unscheduled = try connection.query("""
            SELECT id FROM coaching_queue FORCE INDEX (idx_cq_claim)
            WHERE status = 'pending' AND available_at IS NULL LIMIT 500
            """).compactMap { $0.int(0) }
        if !unscheduled.isEmpty {
            try connection.execute("""
                UPDATE coaching_queue SET available_at = added_at + INTERVAL ? MICROSECOND
                WHERE id IN (\(Array(repeating: "?", count: unscheduled.count).joined(separator: ", ")))
                  AND available_at IS NULL
                """, [.int(Int(debounce * 1_000_000))] + unscheduled.map(SQLValue.int))
        }
        return try connection.transaction {
            let columns = "id, message_id, conversation_id, agent_id, attempts, source"
            var rows = try connection.query("""
                SELECT \(columns) FROM coaching_queue
                WHERE status = 'processing' AND locked_until < NOW(3)
                ORDER BY locked_until
                LIMIT ?
                FOR UPDATE SKIP LOCKED
                """, [.int(limit)])
            if rows.count < limit {
                rows += try connection.query("""
                    SELECT \(columns) FROM coaching_queue
                    WHERE status = 'pending' AND available_at <= NOW(3)
                    ORDER BY available_at
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED
                    """, [.int(limit - rows.count)])
            }
            rows.sort { ($0.int(0) ?? 0) < ($1.int(0) ?? 0) }
            var jobs: [QueueJob] = []
            var ahead = 0
            if let first = rows.first?.int(0) {
                ahead = try connection.query("""
                    SELECT COUNT(*) FROM (
                        SELECT 1 FROM coaching_queue
                        WHERE status IN ('pending', 'processing') AND outcome IS NULL AND id < ?
                        LIMIT ?) ahead
                    """, [.int(first), .int(max(maxAhead, 1))]).first?.int(0) ?? 0
            }
            for (offset, row) in rows.enumerated() {
                guard let id = row.int(0) else { continue }
                try connection.execute("""
                    UPDATE coaching_queue
                    SET status = 'processing', locked_by = ?, locked_until = NOW(3) + INTERVAL ? SECOND,
                        attempts = attempts + 1
                    WHERE id = ?
                    """, [.text(workerID), .int(leaseSeconds), .int(id)])
                jobs.append(QueueJob(id: id, messageID: row.int(1) ?? 0, conversationID: row.int(2) ?? 0,
                                     agentID: row.int(3) ?? 0, attempts: (row.int(4) ?? 0) + 1,
                                     source: row.string(5) ?? "listener", ahead: ahead + offset))
            }
            return jobs
        }
    }

    /// Seconds until the earliest pending row is due (0 or less: one is due now), nil when none is
    /// pending. An idle worker sleeps that long instead of a fixed poll interval, so a debounced
    /// message is picked up when it becomes due. One range read on (status, available_at).
    public func secondsUntilNextDue() throws -> Double? {
        let row = try connection.query("""
            SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), MIN(available_at)) FROM coaching_queue
            WHERE status = 'pending' AND available_at IS NOT NULL
            """).first
        return row?.int(0).map { Double($0) / 1_000_000 }
    }

    /// Records the final outcome; false when the lease was lost, in which case the row's new holder
    /// records it (callers that have nothing else to do may ignore the answer).
    @discardableResult
    public func finish(_ job: QueueJob, outcome: MessageOutcome, hintID: Int? = nil, mergedInto: Int? = nil,
                       error: String? = nil) throws -> Bool {
        let changed = try connection.execute("""
            UPDATE coaching_queue
            SET status = ?, outcome = ?, hint_id = ?, merged_into = ?, last_error = COALESCE(?, last_error),
                processed_at = NOW(), finished_at = NOW(3), locked_until = NULL
            WHERE id = ? AND status = 'processing' AND locked_by = ?
            """, [.text(outcome.queueStatus), .text(outcome.rawValue), .optional(hintID), .optional(mergedInto),
                  .optional(error), .int(job.id), .text(workerID)])
        if changed.affectedRows > 0 { PipelineMetrics.outcome(outcome) }
        return changed.affectedRows > 0
    }

    /// Records why the job took a degraded path (e.g. rules alone while the embeddings server failed)
    /// in `last_error`, while this worker still owns it; the outcome is written separately.
    public func note(_ job: QueueJob, _ text: String) throws {
        try connection.execute("UPDATE coaching_queue SET last_error = ? WHERE id = ? AND status = 'processing' AND locked_by = ?",
                               [.text(text), .int(job.id), .text(workerID)])
    }

    /// Puts the row back to wait (rate limit, typing, retry backoff) without losing it.
    @discardableResult
    public func postpone(_ job: QueueJob, bySeconds seconds: Double, error: String? = nil, countsAsAttempt: Bool = false) throws -> Bool {
        let changed = try connection.execute("""
            UPDATE coaching_queue
            SET status = 'pending', available_at = NOW(3) + INTERVAL ? MICROSECOND, locked_until = NULL,
                locked_by = NULL, attempts = attempts - ?, last_error = COALESCE(?, last_error)
            WHERE id = ? AND status = 'processing' AND locked_by = ?
            """, [.int(Int(seconds * 1_000_000)), .int(countsAsAttempt ? 0 : 1), .optional(error),
                  .int(job.id), .text(workerID)])
        return changed.affectedRows > 0
    }

    /// The newest unfinished customer message of the conversation queued after `job` and at least
    /// `minimumLength` characters long: the row `job` would be folded into. Only a row that analyses
    /// its message qualifies: not a second row of the job's own message, nor a row of a message
    /// another row owns (a listener row written after another door took the message, which will end
    /// `duplicate` and would take what was folded into it along).
    /// With `coaching_message_intake i` joined on the row's message: the row analyses its message
    /// (it owns it, or no door has claimed it yet) rather than being a duplicate in waiting.
    private static let ownsItsMessage = "(i.queue_id IS NULL OR i.queue_id = q.id)"

    public func laterCustomerMessage(after job: QueueJob, conversationID: Int, minimumLength: Int) throws -> Int? {
        try connection.query("""
            SELECT q.id FROM coaching_queue q JOIN messages m ON m.id = q.message_id
            LEFT JOIN coaching_message_intake i ON i.message_id = q.message_id
            WHERE q.conversation_id = ? AND q.id > ? AND q.message_id <> ?
              AND q.status IN ('pending', 'processing') AND q.outcome IS NULL AND \(Self.ownsItsMessage)
              AND m.sender_type = 'contact' AND CHAR_LENGTH(TRIM(m.content)) >= ?
            ORDER BY q.id DESC LIMIT 1
            """, [.int(conversationID), .int(job.id), .int(job.messageID), .int(minimumLength)]).first?.int(0)
    }

    /// Folds `job` into the later row `target`; false when `target` finished meanwhile. The target
    /// is locked and re-checked before the job points at it, and the job records its own outcome
    /// before moving what was folded into it, so two workers merging neighbours at once never leave
    /// a row pointing at a message that was merged away.
    public func merge(_ job: QueueJob, into target: Int) throws -> Bool {
        try connection.transaction {
            guard try !connection.query("""
                SELECT q.id FROM coaching_queue q LEFT JOIN coaching_message_intake i ON i.message_id = q.message_id
                WHERE q.id = ? AND q.status IN ('pending', 'processing') AND q.outcome IS NULL AND \(Self.ownsItsMessage)
                FOR UPDATE
                """, [.int(target)]).isEmpty else { return false }
            guard try finish(job, outcome: .merged, mergedInto: target) else { throw HintWriter.Conflict.leaseLost }
            try connection.execute("UPDATE coaching_queue SET merged_into = ? WHERE merged_into = ?",
                                   [.int(target), .int(job.id)])
            return true
        }
    }

    /// The texts of the (at most four) newest messages folded into `job`, oldest first: they are
    /// analysed together with the job's own message.
    public func mergedTexts(into job: QueueJob) throws -> [String] {
        try connection.query("""
            SELECT m.content FROM coaching_queue q JOIN messages m ON m.id = q.message_id
            WHERE q.merged_into = ? ORDER BY q.id DESC LIMIT 4
            """, [.int(job.id)]).compactMap { $0.string(0) }.reversed()
    }

    /// Customer messages still waiting out their debounce, queued after row `after`, oldest first.
    public static func waitingCustomerMessages(after: Int, limit: Int,
                                               connection: MariaDBConnection) throws -> [(queueID: Int, content: String)] {
        try connection.query("""
            SELECT q.id, m.content FROM coaching_queue q JOIN messages m ON m.id = q.message_id
            WHERE q.status = 'pending' AND q.available_at > NOW(3) AND q.id > ? AND m.sender_type = 'contact'
            ORDER BY q.id LIMIT ?
            """, [.int(after), .int(limit)]).compactMap { row in row.int(0).map { ($0, row.string(1) ?? "") } }
    }

    /// A failed attempt: the row waits for its next attempt as `policy` says, or ends `failed`.
    public func retry(_ job: QueueJob, policy: JobRetryPolicy, error: String) throws {
        switch policy.next(afterAttempt: job.attempts) {
        case .retry(let seconds):
            try postpone(job, bySeconds: seconds, error: error, countsAsAttempt: true)
        case .giveUp:
            try finish(job, outcome: .failed, error: error)
        }
    }

    /// Extends the lease of jobs whose LLM call is still running.
    public func extendLeases(_ ids: [Int], leaseSeconds: Int) throws {
        for id in ids {
            try connection.execute("""
                UPDATE coaching_queue SET locked_until = NOW(3) + INTERVAL ? SECOND
                WHERE id = ? AND status = 'processing' AND locked_by = ?
                """, [.int(leaseSeconds), .int(id), .text(workerID)])
        }
    }
}
