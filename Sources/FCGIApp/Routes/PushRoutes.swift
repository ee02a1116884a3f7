import Coaching

/// nginx's `auth_request` for `/coaching/events`: the answer names the caller's own channel, so a
/// subscriber can never choose another agent's.
enum PushRoutes {
    static func authorize(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let agentID = try Caller.agentID(principal)
        return HTTPResponse(status: 204, headers: [("X-Coaching-Channel", "agent-\(agentID)"), ("Cache-Control", "no-store")])
    }
}
