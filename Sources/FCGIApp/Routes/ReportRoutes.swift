import Coaching

/// Admin reports (SPEC §3, §9): daily LLM cost by model and variant from the rollup, and what the
/// pipeline did (hints per type, outcomes, cache hit rate, analyses per minute, queue). Read-only,
/// so supervisors may see them too.
enum ReportRoutes {
    static func costs(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "costs")
        let days = try request.query().fields.int("days") ?? CostReport.defaultDays
        guard (1...CostReport.maxDays).contains(days) else {
            throw APIError.badRequest("days must be between 1 and \(CostReport.maxDays)", field: "days")
        }
        let daily = try CostReport(connection: context.database()).daily(days: days)
        return .json(.object([("success", .bool(true))] + (daily.json.objectValue ?? [])))
    }

    /// The hint types and their labels, for the admin pages' charts and chips.
    static func hintTypes(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "hint types")
        return .json(.object([("success", .bool(true)), ("hint_types", HintType.catalog)]))
    }

    static func stats(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "stats")
        let period = try request.query().fields.period()
        let activity = try ActivityReport(connection: context.database()).compute(period: period)
        let language = try context.settings().service.language
        return .json(.object([("success", .bool(true))] + (activity.json(language: language).objectValue ?? [])))
    }
}
