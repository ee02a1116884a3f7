import Coaching
import MariaDB

/// `POST /coaching/messages`: the chat application hands messages to coaching (one object or an
/// array). Each item is answered on its own: accepted (and whether it was queued) or a clear error.
enum ServiceRoutes {
    static let maxBatch = 1000
    static let senderTypes: Set<String> = ["contact", "agent", "system"]

    static func messages(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        guard principal.role == .service || principal.role == .admin else {
            throw APIError.forbidden("posting messages needs a service credential")
        }
        guard request.mediaType == "application/json" else { throw APIError.unsupportedMediaType(request.mediaType ?? "none") }
        let document: JSONValue
        do {
            document = try JSONParser.parse(request.body)
        } catch {
            throw APIError.badRequest("malformed JSON body: \(error.message) at byte \(error.offset)", field: "body")
        }
        let items: [JSONValue]
        switch document {
        case .array(let array): items = array
        case .object: items = [document]
        default: throw APIError.badRequest("send a message object or an array of them", field: "body")
        }
        guard !items.isEmpty, items.count <= maxBatch else {
            throw APIError.badRequest("send between 1 and \(maxBatch) messages", field: "body")
        }
        let connection = try context.database()
        let settings = try context.settings()
        let intake = MessageIntake(connection: connection)
        var results: [JSONValue] = []
        var accepted = 0
        for (index, item) in items.enumerated() {
            do {
                let result = try connection.transaction {
                    try accept(item, intake: intake, connection: connection, delay: settings.coaching.queueProcessingDelay)
                }
                accepted += 1
                results.append(.object([("index", .int(index))] + result))
            } catch let error as APIError {
                results.append(.object([("index", .int(index)), ("success", .bool(false)),
                                        ("error", .string(error.message)), ("code", .string(error.code))]))
            } catch let error as MariaDBError where !error.isConnectionProblem {
                results.append(.object([("index", .int(index)), ("success", .bool(false)),
                                        ("error", .string("the message could not be stored")), ("code", .string("rejected"))]))
            }
        }
        return .json(.object([
            ("success", .bool(accepted == items.count)),
            ("accepted", .int(accepted)),
            ("rejected", .int(items.count - accepted)),
            ("results", .array(results)),
        ]), status: accepted > 0 ? 202 : 400)
    }

    private static func accept(_ item: JSONValue, intake: MessageIntake, connection: MariaDBConnection,
                               delay: Double) throws -> [(String, JSONValue)] {
        guard case .object = item else { throw APIError.badRequest("each message must be an object", field: "message") }
        let fields = BodyFields(item)
        let conversationID = try fields.positiveID("conversation_id")
        guard let conversation = try connection.query("SELECT agent_id FROM conversations WHERE id = ?",
                                                      [.int(conversationID)]).first else {
            throw APIError.notFound("conversation \(conversationID) not found")
        }
        let assigned = conversation.int(0)
        let messageID: Int
        let senderType: String
        if fields.has("message_id") {
            messageID = try fields.positiveID("message_id")
            guard let stored = try connection.query("SELECT conversation_id, sender_type FROM messages WHERE id = ?",
                                                    [.int(messageID)]).first else {
                throw APIError.notFound("message \(messageID) not found")
            }
            guard stored.int(0) == conversationID else {
                throw APIError.badRequest("message \(messageID) belongs to another conversation", field: "conversation_id")
            }
            senderType = stored.string(1) ?? ""
        } else {
            guard let sender = try fields.string("sender_type"), senderTypes.contains(sender) else {
                throw APIError.badRequest("sender_type must be contact, agent or system", field: "sender_type")
            }
            guard let content = try fields.string("content") else {
                throw APIError.badRequest("content is required", field: "content")
            }
            guard content.utf8.count <= 65_535 else { throw APIError.badRequest("content is too long", field: "content") }
            let messageType = try fields.string("message_type") ?? "text"
            guard messageType.count <= 20, !messageType.isEmpty else {
                throw APIError.badRequest("message_type must have 1–20 characters", field: "message_type")
            }
            let createdAt = try fields.string("created_at")
            if let createdAt, !isTimestamp(createdAt) {
                throw APIError.badRequest("created_at must be \"YYYY-MM-DD HH:MM:SS\"", field: "created_at")
            }
            senderType = sender
            messageID = try intake.storeMessage(conversationID: conversationID, senderType: sender,
                                                senderID: try fields.int("sender_id"), content: content,
                                                messageType: messageType, createdAt: createdAt)
        }
        guard senderType == "contact" else {
            return [("success", .bool(true)), ("message_id", .int(messageID)), ("queued", .bool(false)),
                    ("reason", .string("only customer messages are analysed"))]
        }
        let agentID = try fields.int("agent_id") ?? assigned ?? 0
        let result = try intake.enqueue(messageID: messageID, conversationID: conversationID, agentID: agentID,
                                        door: .api, delay: delay)
        return [("success", .bool(true)), ("message_id", .int(messageID)), ("queued", .bool(result.queued)),
                ("queue_id", .optional(result.queueID))]
    }

    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 19 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 4, 7: if byte != UInt8(ascii: "-") { return false }
            case 10: if byte != UInt8(ascii: " ") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            default: if byte < 0x30 || byte > 0x39 { return false }
            }
        }
        return true
    }
}
