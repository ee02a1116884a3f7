import MariaDB

/// What `/coaching/health` reports. Unhealthy (503) when the database cannot be reached; degraded
/// (still 200, `status: "degraded"`) when no worker heartbeat is fresh while messages wait, or
/// when an LLM circuit is open.
public struct HealthReport: Sendable {
    public var databaseReachable: Bool
    public var queueDepth: Int?
    public var oldestPendingSeconds: Int?
    public var liveWorkers: Int?
    public var lastHeartbeatSeconds: Int?
    public var openCircuits: Int?

    public var isHealthy: Bool { databaseReachable }

    public var isDegraded: Bool {
        guard databaseReachable else { return true }
        if (openCircuits ?? 0) > 0 { return true }
        return (liveWorkers ?? 0) == 0 && (queueDepth ?? 0) > 0
    }

    public static func check(connection: MariaDBConnection?) -> HealthReport {
        var report = HealthReport(databaseReachable: false)
        guard let connection else { return report }
        do {
            let queue = try connection.query("""
                SELECT COUNT(*), TIMESTAMPDIFF(SECOND, MIN(added_at), NOW())
                FROM coaching_queue WHERE status IN ('pending', 'processing')
                """)
            report.databaseReachable = true
            report.queueDepth = queue.first?.int(0)
            report.oldestPendingSeconds = queue.first?.int(1)
            let workers = try connection.query("""
                SELECT SUM(heartbeat_at >= NOW(3) - INTERVAL 10 SECOND),
                       TIMESTAMPDIFF(SECOND, MAX(heartbeat_at), NOW(3)),
                       SUM(heartbeat_at >= NOW(3) - INTERVAL 10 SECOND AND circuit = 'open')
                FROM coaching_workers
                """)
            report.liveWorkers = workers.first?.int(0) ?? 0
            report.lastHeartbeatSeconds = workers.first?.int(1)
            report.openCircuits = workers.first?.int(2) ?? 0
        } catch {
            if !report.databaseReachable { return HealthReport(databaseReachable: false) }
        }
        return report
    }

    public var json: JSONValue {
        .object([
            ("success", .bool(isHealthy)),
            ("status", .string(!isHealthy ? "unavailable" : isDegraded ? "degraded" : "ok")),
            ("database", .string(databaseReachable ? "ok" : "unreachable")),
            ("queue", .object([
                ("depth", .optional(queueDepth)),
                ("oldest_pending_seconds", .optional(oldestPendingSeconds)),
            ])),
            ("workers", .object([
                ("live", .optional(liveWorkers)),
                ("last_heartbeat_seconds", .optional(lastHeartbeatSeconds)),
            ])),
            ("llm", .object([("circuits_open", .optional(openCircuits))])),
        ])
    }
}

extension HealthReport {
    init(databaseReachable: Bool) {
        self.databaseReachable = databaseReachable
    }
}
