import Coaching

/// The demo agent console's routes. They read and write only the caller's own conversations.
enum ConsoleRoutes {
    static func conversations(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let agentID = try Caller.agentID(Caller.authenticate(request, context))
        let store = ConsoleStore(connection: try context.database())
        let name = try store.agentName(agentID)
        let list = try store.conversations(agentID: agentID)
        return .json(.object([
            ("success", .bool(true)),
            ("agent", .object([("id", .int(agentID)), ("name", .optional(name))])),
            ("conversations", .array(list.map { conversation in
                .object([
                    ("id", .int(conversation.id)),
                    ("status", .string(conversation.status)),
                    ("contact_name", .string(conversation.contactID.map { "Cliente #\($0)" } ?? "Cliente")),
                    ("last_message", .optional(conversation.lastMessage.map { String($0.prefix(120)) })),
                    ("last_message_at", .optional(conversation.lastMessageAt)),
                ])
            })),
        ]))
    }

    static func messages(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let agentID = try Caller.agentID(Caller.authenticate(request, context))
        guard let messages = try ConsoleStore(connection: try context.database())
            .messages(conversationID: parameters.id(), agentID: agentID) else {
            throw APIError.notFound("conversation not found")
        }
        return .json(.object([("success", .bool(true)), ("messages", .array(messages.map(\.json)))]))
    }

    static func reply(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let agentID = try Caller.agentID(Caller.authenticate(request, context))
        let body = try request.bodyFields()
        guard let content = try body.string("content"), !content.trimmed.isEmpty else {
            throw APIError.badRequest("content is required", field: "content")
        }
        guard content.count <= 4000 else { throw APIError.badRequest("content is too long", field: "content") }
        guard let message = try ConsoleStore(connection: try context.database())
            .reply(conversationID: parameters.id(), agentID: agentID, content: content) else {
            throw APIError.notFound("conversation not found")
        }
        return .json(.object([("success", .bool(true)), ("message", message.json)]))
    }
}
