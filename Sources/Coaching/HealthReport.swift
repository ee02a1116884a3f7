import MariaDB

/// What `/coaching/health` reports; `isHealthy` is false when the database cannot be reached.
public struct HealthReport: Sendable {
    public var databaseReachable: Bool
    public var databaseError: String?
    public var queueDepth: Int?
    public var oldestPendingSeconds: Int?

    public var isHealthy: Bool { databaseReachable }

    public static func check(connection: MariaDBConnection?) -> HealthReport {
        guard let connection else {
            return HealthReport(databaseReachable: false, databaseError: "no connection", queueDepth: nil, oldestPendingSeconds: nil)
        }
        do {
            let rows = try connection.query("""
                SELECT COUNT(*), TIMESTAMPDIFF(SECOND, MIN(added_at), NOW())
                FROM coaching_queue WHERE status = 'pending'
                """)
            return HealthReport(databaseReachable: true, databaseError: nil,
                                queueDepth: rows.first?.int(0), oldestPendingSeconds: rows.first?.int(1))
        } catch {
            return HealthReport(databaseReachable: false, databaseError: "unreachable", queueDepth: nil, oldestPendingSeconds: nil)
        }
    }

    public var json: JSONValue {
        .object([
            ("success", .bool(isHealthy)),
            ("status", .string(isHealthy ? "ok" : "degraded")),
            ("database", .string(databaseReachable ? "ok" : "unreachable")),
            ("queue", .object([
                ("depth", .optional(queueDepth)),
                ("oldest_pending_seconds", .optional(oldestPendingSeconds)),
            ])),
        ])
    }
}
