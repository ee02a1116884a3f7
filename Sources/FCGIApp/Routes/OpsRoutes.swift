import Coaching

/// Operational routes. Health and metrics are unauthenticated by design (load balancers and
/// scrapers call them) and reveal only states and counts; nginx lets only the host itself reach
/// `/coaching/metrics`.
enum OpsRoutes {
    static func health(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let report = healthReport(context)
        return .json(report.json, status: report.isHealthy ? 200 : 503)
    }

    /// Prometheus text: this process's counters and histograms, plus gauges read now from the
    /// database (shared by every host) and from nginx's nchan status.
    static func metrics(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        guard let metrics = context.metrics else { throw APIError.notFound("metrics are not enabled in this process") }
        let report = healthReport(context)
        metrics.set("coaching_database_up", report.databaseReachable ? 1 : 0)
        if report.databaseReachable {
            metrics.set("coaching_queue_depth", Double(report.queueDepth ?? 0))
            metrics.set("coaching_queue_oldest_pending_seconds", Double(report.oldestPendingSeconds ?? 0))
            metrics.set("coaching_workers_live", Double(report.liveWorkers ?? 0))
            metrics.set("coaching_llm_circuits_open", Double(report.openCircuits ?? 0))
            metrics.set("coaching_embeddings_available", report.embeddings == "ok" ? 1 : 0)
            if let hourSpent = report.hourSpent { metrics.set("coaching_budget_spent_usd", hourSpent, dimensions: [("window", "hour")]) }
            if let daySpent = report.daySpent { metrics.set("coaching_budget_spent_usd", daySpent, dimensions: [("window", "day")]) }
        }
        metrics.set("coaching_degraded", report.isDegraded ? 1 : 0)
        if let replica = report.replica {
            metrics.set("coaching_replica_usable", replica == "ok" ? 1 : 0)
            if let lag = report.replicaLagSeconds { metrics.set("coaching_replica_lag_seconds", lag) }
        }
        if let socket = context.configuration.nchanPublishSocket,
           let subscribers = NchanPublisher(socketPath: socket).subscriberCount() {
            metrics.set("coaching_push_subscribers", Double(subscribers))
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                                   ("Cache-Control", "no-store")],
                            body: metrics.exposition())
    }

    private static func healthReport(_ context: RequestContext) -> HealthReport {
        let connection = context.databaseIfReachable()
        var report = HealthReport.check(connection: connection)
        if let connection, let settings = try? context.settings() {
            report.addBudget(hourCap: settings.coaching.costLimitPerHour, dayCap: settings.coaching.costLimitPerDay,
                             connection: connection)
            report.embeddingsBaseURL = settings.service.embeddingsBaseURL
            report.embeddingsModel = settings.service.embeddingsModel
        }
        if let replica = context.replica {
            report.replica = replica.currentState().rawValue
            report.replicaLagSeconds = replica.lagSeconds
        }
        return report
    }
}
