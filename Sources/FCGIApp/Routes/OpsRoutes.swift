import Coaching

/// Operational routes. Health is unauthenticated by design (load balancers call it) and reveals
/// only states and counts.
enum OpsRoutes {
    static func health(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let report = HealthReport.check(connection: context.databaseIfReachable())
        return .json(report.json, status: report.isHealthy ? 200 : 503)
    }
}
