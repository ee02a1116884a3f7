import Coaching
import JSON

/// The original system's `/coaching/*` routes, answering with the shapes its UI reads.
enum LegacyRoutes {
    static func stats(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let query = try request.query().fields
        let period = try query.period()
        let requested = try query.optionalPositiveID("agent_id")
        let agentID: Int?
        if requested == nil, principal.canReadOtherAgents {
            agentID = nil
        } else {
            agentID = try principal.agentScope(requested: requested)
        }
        let (summary, types) = try CoachingStats(connection: context.database()).compute(agentID: agentID, period: period)
        let language = try context.settings().service.language
        let average = summary.totalHints > 0 ? summary.totalCost / Double(summary.totalHints) : 0
        return .json(.object([
            ("success", .bool(true)),
            ("period", .string(period.rawValue)),
            ("agent_id", .optional(agentID)),
            ("summary", .object([
                ("total_hints", .int(summary.totalHints)),
                ("viewed", .int(summary.viewed)),
                ("helpful", .int(summary.helpful)),
                ("not_helpful", .int(summary.notHelpful)),
                ("suggestions_used", .int(summary.suggestionsUsed)),
                ("total_tokens", .int(summary.totalTokens)),
                ("total_cost", .double(summary.totalCost)),
                ("avg_cost_per_hint", .double(average)),
                ("avg_latency_ms", summary.averageLatencyMilliseconds.map(JSONValue.double) ?? .null),
            ])),
            ("by_type", .array(types.map { $0.json(language: language) })),
        ]))
    }

    static func markViewed(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let hintID = try request.bodyFields().positiveID("hint_id")
        return try AgentRoutes.markViewed(hintID: hintID, principal: principal, context: context)
    }

    static func feedback(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let body = try request.bodyFields()
        return try AgentRoutes.recordFeedback(hintID: body.positiveID("hint_id"), body: body, principal: principal, context: context)
    }
}
