import MariaDB

/// `max_analyses_per_minute` (global) and `min_interval_between_analyses` (per agent), held in the
/// database so that they apply across every process and survive restarts. The global limit is an
/// exact sliding 60-second window over per-second counters, decided under one row lock.
public struct RateLimiter {
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Try again after this many seconds.
        case wait(Double)
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Takes one analysis slot for `agentID` if both limits allow it, atomically.
    public func acquire(agentID: Int, perMinute: Int, agentInterval: Double) throws -> Decision {
        try connection.transaction {
            _ = try connection.query("SELECT name FROM coaching_mutex WHERE name = 'rate' FOR UPDATE")
            if agentInterval > 0 {
                let rows = try connection.query("""
                    SELECT TIMESTAMPDIFF(MICROSECOND, last_analysis_at, NOW(3)) FROM coaching_agent_limits WHERE agent_id = ?
                    """, [.int(agentID)])
                if let elapsedMicros = rows.first?.int(0) {
                    let elapsed = Double(elapsedMicros) / 1_000_000
                    if elapsed < agentInterval { return .wait(agentInterval - elapsed) }
                }
            }
            let now = try connection.query("SELECT UNIX_TIMESTAMP(NOW(3))").first?.double(0) ?? 0
            let second = Int(now)
            let window = try connection.query("""
                SELECT second_epoch, analyses FROM coaching_rate_seconds WHERE second_epoch > ? ORDER BY second_epoch
                """, [.int(second - 60)])
            let used = window.reduce(0) { $0 + ($1.int(1) ?? 0) }
            if used >= perMinute {
                // Wait until enough of the oldest seconds leave the window.
                var excess = used - perMinute + 1
                var freeAt = second + 1
                for row in window {
                    excess -= row.int(1) ?? 0
                    if excess <= 0 {
                        freeAt = (row.int(0) ?? second) + 60
                        break
                    }
                }
                return .wait(max(Double(freeAt) - now, 0.05))
            }
            try connection.execute("""
                INSERT INTO coaching_rate_seconds (second_epoch, analyses) VALUES (?, 1)
                ON DUPLICATE KEY UPDATE analyses = analyses + 1
                """, [.int(second)])
            try connection.execute("""
                INSERT INTO coaching_agent_limits (agent_id, last_analysis_at) VALUES (?, NOW(3))
                ON DUPLICATE KEY UPDATE last_analysis_at = NOW(3)
                """, [.int(agentID)])
            if second % 30 == 0 {
                try connection.execute("DELETE FROM coaching_rate_seconds WHERE second_epoch < ?", [.int(second - 120)])
            }
            return .allowed
        }
    }
}
