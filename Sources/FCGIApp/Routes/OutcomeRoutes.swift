import Coaching
import Experiments

/// `POST /coaching/outcomes`: the chat application reports how a conversation ended, so experiments
/// can compare conversion beside helpful rate.
enum OutcomeRoutes {
    static func record(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        guard principal.role == .service || principal.role == .admin else {
            throw APIError.forbidden("reporting outcomes needs a service credential")
        }
        let body = try request.bodyFields()
        let conversationID = try body.positiveID("conversation_id")
        guard let text = try body.string("outcome") else { throw APIError.badRequest("outcome is required", field: "outcome") }
        guard let kind = ConversationOutcome.Kind(rawValue: text) else {
            throw APIError.badRequest("outcome must be won, lost, resolved or abandoned", field: "outcome")
        }
        let value = try body.double("value")
        if let value, value < 0 { throw APIError.badRequest("value must not be negative", field: "value") }
        let outcome = ConversationOutcome(conversationID: conversationID, kind: kind, value: value)
        guard try outcome.record(connection: try context.database()) else {
            throw APIError.notFound("conversation not found")
        }
        return .json(.object([("success", .bool(true)), ("conversation_id", .int(conversationID)),
                              ("outcome", .string(kind.rawValue))]))
    }
}
