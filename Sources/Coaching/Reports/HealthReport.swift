import MariaDB
import JSON

/// What `/coaching/health` reports. Unhealthy (503) when the database cannot be reached; degraded
/// (still 200, `status: "degraded"`, with the `reasons`) when hints are late or poorer than they
/// should be: no worker heartbeat is fresh while messages wait, a message has waited longer than
/// `backlogSeconds`, an LLM circuit is open, or a cost cap is reached (hints then come from the
/// fallback or not at all).
public struct HealthReport: Sendable {
    public var databaseReachable: Bool
    public var queueDepth: Int?
    public var oldestPendingSeconds: Int?
    public var liveWorkers: Int?
    public var lastHeartbeatSeconds: Int?
    public var openCircuits: Int?
    /// What live workers last saw of the embeddings server: `off`, `ok`, `no_classifier` or an
    /// error kind (`timeout`, `connection`, …), the worst one first.
    public var embeddings: String?
    /// The settings' embeddings server and model (never the key).
    public var embeddingsBaseURL: String?
    public var embeddingsModel: String?
    /// Spend (settled plus reserved) in the current hour and day windows, and their caps.
    public var hourSpent: Double?
    public var daySpent: Double?
    public var hourCap: Double?
    public var dayCap: Double?
    /// The read replica as this request thread sees it: nil when none is configured, else `ok`,
    /// `lagging` or `unreachable` (polls then read the primary), with its estimated lag.
    public var replica: String?
    public var replicaLagSeconds: Double?

    /// A message waiting longer than this is a backlog (SPEC: a hint within about two seconds).
    public static let backlogSeconds = 60

    public var isHealthy: Bool { databaseReachable }

    public var isDegraded: Bool { !degradedReasons.isEmpty }

    public var degradedReasons: [String] {
        guard databaseReachable else { return ["database_unreachable"] }
        var reasons: [String] = []
        if (liveWorkers ?? 0) == 0 && (queueDepth ?? 0) > 0 { reasons.append("no_live_worker") }
        if (oldestPendingSeconds ?? 0) > Self.backlogSeconds { reasons.append("queue_backlog") }
        if (openCircuits ?? 0) > 0 { reasons.append("llm_circuit_open") }
        if embeddings == "no_classifier" {
            reasons.append("classifier_missing")
        } else if let embeddings, !["off", "ok", "pending"].contains(embeddings) {
            reasons.append("embeddings_unavailable")
        }
        if let hourSpent, let hourCap, hourSpent >= hourCap { reasons.append("hourly_cost_cap_reached") }
        if let daySpent, let dayCap, daySpent >= dayCap { reasons.append("daily_cost_cap_reached") }
        if let replica, replica != "ok" { reasons.append("replica_" + replica) }
        return reasons
    }

    /// Adds the cost windows, judged against the caps in effect.
    public mutating func addBudget(hourCap: Double, dayCap: Double, connection: MariaDBConnection) {
        guard databaseReachable, let used = try? CostLedger(connection: connection).currentUsage() else { return }
        self.hourCap = hourCap
        self.dayCap = dayCap
        hourSpent = used.hour
        daySpent = used.day
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
            let statuses = try connection.query("""
                SELECT DISTINCT embeddings FROM coaching_workers
                WHERE heartbeat_at >= NOW(3) - INTERVAL 10 SECOND AND embeddings IS NOT NULL
                """).compactMap { $0.string(0) }
            report.embeddings = statuses.first { !["off", "ok", "pending"].contains($0) } ?? statuses.first { $0 == "ok" }
                ?? statuses.first
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
            ("embeddings", .object([
                ("status", .optional(embeddings)),
                ("base_url", .optional(embeddingsBaseURL)),
                ("model", .optional(embeddingsModel)),
            ])),
            ("budget", .object([
                ("hour_spent", hourSpent.map(JSONValue.double) ?? .null),
                ("hour_cap", hourCap.map(JSONValue.double) ?? .null),
                ("day_spent", daySpent.map(JSONValue.double) ?? .null),
                ("day_cap", dayCap.map(JSONValue.double) ?? .null),
            ])),
            ("replica", .object([
                ("status", .string(replica ?? "off")),
                ("lag_seconds", replicaLagSeconds.map(JSONValue.double) ?? .null),
            ])),
            ("reasons", .array(degradedReasons.map(JSONValue.string))),
        ])
    }
}

extension HealthReport {
    init(databaseReachable: Bool) {
        self.databaseReachable = databaseReachable
    }
}
