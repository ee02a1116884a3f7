import MariaDB

/// Money: before an LLM call its worst-case cost is reserved against the hour and day windows under
/// one row lock, so the caps hold however many processes call at once; after the call the
/// reservation is settled to the actual cost, the ledger row completed and the daily rollup updated,
/// all in one transaction. Calls that produced nothing useful are recorded too.
public struct CostLedger {
    public struct Reservation: Sendable, Equatable {
        public let callID: Int
        public let reservedCost: Double
    }

    public struct CallContext: Sendable {
        public var queueID: Int?
        public var messageID: Int?
        public var conversationID: Int?
        public var agentID: Int?
        public var provider: String
        public var model: String
        public var variant: String
        public var experimentKey: String?

        public init(queueID: Int?, messageID: Int?, conversationID: Int?, agentID: Int?, provider: String,
                    model: String, variant: String, experimentKey: String? = nil) {
            self.queueID = queueID
            self.messageID = messageID
            self.conversationID = conversationID
            self.agentID = agentID
            self.provider = provider
            self.model = model
            self.variant = variant
            self.experimentKey = experimentKey
        }
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Reserves `worstCase` USD, or returns nil when either cap would be passed.
    public func reserve(_ context: CallContext, worstCase: Double, hourCap: Double, dayCap: Double) throws -> Reservation? {
        try connection.transaction {
            _ = try connection.query("SELECT name FROM coaching_mutex WHERE name = 'budget' FOR UPDATE")
            let windows = try connection.query("""
                SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:00:00'), DATE_FORMAT(NOW(), '%Y-%m-%d 00:00:00')
                """)
            let hour = windows.first?.string(0) ?? ""
            let day = windows.first?.string(1) ?? ""
            for (kind, start) in [("hour", hour), ("day", day)] {
                try connection.execute(
                    "INSERT IGNORE INTO coaching_budget_windows (window_kind, window_start) VALUES (?, ?)",
                    [.text(kind), .text(start)])
            }
            let used = try usage(hourStart: hour, dayStart: day)
            if used.hour + worstCase > hourCap + 1e-9 || used.day + worstCase > dayCap + 1e-9 { return nil }
            try connection.execute("""
                UPDATE coaching_budget_windows SET reserved = reserved + ?
                WHERE (window_kind = 'hour' AND window_start = ?) OR (window_kind = 'day' AND window_start = ?)
                """, [.double(worstCase), .text(hour), .text(day)])
            let inserted = try connection.execute("""
                INSERT INTO coaching_llm_calls
                    (queue_id, message_id, conversation_id, agent_id, provider, model, variant, experiment_key,
                     reserved_cost, status, hour_window, day_window)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'reserved', ?, DATE(?))
                """, [.optional(context.queueID), .optional(context.messageID), .optional(context.conversationID),
                      .optional(context.agentID), .text(context.provider), .text(context.model), .text(context.variant),
                      .optional(context.experimentKey), .double(worstCase), .text(hour), .text(day)])
            return Reservation(callID: inserted.lastInsertID, reservedCost: worstCase)
        }
    }

    /// Spend (settled plus reserved) in the current hour and day windows, for reporting; no lock.
    public func currentUsage() throws -> (hour: Double, day: Double) {
        let windows = try connection.query("""
            SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:00:00'), DATE_FORMAT(NOW(), '%Y-%m-%d 00:00:00')
            """)
        return try usage(hourStart: windows.first?.string(0) ?? "", dayStart: windows.first?.string(1) ?? "")
    }

    private func usage(hourStart: String, dayStart: String) throws -> (hour: Double, day: Double) {
        var used = (hour: 0.0, day: 0.0)
        for row in try connection.query("""
            SELECT window_kind, reserved + spent FROM coaching_budget_windows
            WHERE (window_kind = 'hour' AND window_start = ?) OR (window_kind = 'day' AND window_start = ?)
            """, [.text(hourStart), .text(dayStart)]) {
            if row.string(0) == "hour" { used.hour = row.double(1) ?? 0 } else { used.day = row.double(1) ?? 0 }
        }
        return used
    }

    /// Settles a reserved call to its actual cost; idempotent (a settled call is left alone).
    public func settle(_ reservation: Reservation, promptTokens: Int, completionTokens: Int, cost: Double,
                       latencyMilliseconds: Int?, outcome: String, error: String?) throws {
        try connection.transaction {
            _ = try connection.query("SELECT name FROM coaching_mutex WHERE name = 'budget' FOR UPDATE")
            let rows = try connection.query("""
                SELECT status, hour_window, day_window, model, variant FROM coaching_llm_calls WHERE id = ? FOR UPDATE
                """, [.int(reservation.callID)])
            guard let row = rows.first, row.string(0) == "reserved" else { return }
            let hour = row.string(1) ?? ""
            let day = (row.string(2) ?? "") + " 00:00:00"
            try connection.execute("""
                UPDATE coaching_budget_windows SET reserved = GREATEST(reserved - ?, 0), spent = spent + ?
                WHERE (window_kind = 'hour' AND window_start = ?) OR (window_kind = 'day' AND window_start = ?)
                """, [.double(reservation.reservedCost), .double(cost), .text(hour), .text(day)])
            try connection.execute("""
                UPDATE coaching_llm_calls
                SET status = 'settled', prompt_tokens = ?, completion_tokens = ?, cost = ?, latency_ms = ?,
                    outcome = ?, error = ?, settled_at = NOW(3)
                WHERE id = ?
                """, [.int(promptTokens), .int(completionTokens), .double(cost), .optional(latencyMilliseconds),
                      .text(outcome), .optional(error.map { String($0.prefix(2000)) }), .int(reservation.callID)])
            try connection.execute("""
                INSERT INTO coaching_cost_daily (day, model, variant, calls, prompt_tokens, completion_tokens, cost)
                VALUES (?, ?, ?, 1, ?, ?, ?)
                ON DUPLICATE KEY UPDATE calls = calls + 1, prompt_tokens = prompt_tokens + VALUES(prompt_tokens),
                    completion_tokens = completion_tokens + VALUES(completion_tokens), cost = cost + VALUES(cost)
                """, [.text(row.string(2) ?? ""), .text(row.string(3) ?? ""), .text(row.string(4) ?? "default"),
                      .int(promptTokens), .int(completionTokens), .double(cost)])
        }
    }

    /// Reservations whose process died mid-call: charged at their worst case (tokens may have been
    /// consumed; the cap must still hold) and closed.
    public func settleAbandoned(olderThanSeconds: Int) throws -> Int {
        let rows = try connection.query("""
            SELECT id, reserved_cost FROM coaching_llm_calls
            WHERE status = 'reserved' AND created_at < NOW(3) - INTERVAL ? SECOND LIMIT 100
            """, [.int(olderThanSeconds)])
        for row in rows {
            guard let id = row.int(0) else { continue }
            let cost = row.double(1) ?? 0
            try settle(Reservation(callID: id, reservedCost: cost), promptTokens: 0, completionTokens: 0, cost: cost,
                       latencyMilliseconds: nil, outcome: "abandoned", error: "worker stopped before the call settled")
        }
        return rows.count
    }
}
