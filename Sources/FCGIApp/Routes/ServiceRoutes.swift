import Coaching
import MariaDB
import JSON

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
        var results: [JSONValue?] = Array(repeating: nil, count: items.count)
        var offered: [(index: Int, message: IncomingMessage)] = []
        for (index, item) in items.enumerated() {
            do {
                offered.append((index, try incoming(item)))
            } catch {
                results[index] = rejection(index, error)
            }
        }
        if !offered.isEmpty {
            let connection = try context.database()
            let settings = try context.settings()
            do {
                let outcomes = try MessageIntake(connection: connection)
                    .accept(offered.map(\.message), delay: settings.coaching.queueProcessingDelay)
                for (entry, outcome) in zip(offered, outcomes) {
                    results[entry.index] = describe(entry.index, outcome)
                }
                if outcomes.contains(where: { if case .queued(_, _, true) = $0 { true } else { false } }) {
                    context.messagesQueued()
                }
            } catch let error as MariaDBError where !error.isConnectionProblem {
                context.logger.warning("message batch not stored", metadata: ["error": "\(error)"])
                for entry in offered {
                    results[entry.index] = .object([("index", .int(entry.index)), ("success", .bool(false)),
                                                    ("error", .string("the message could not be stored")),
                                                    ("code", .string("rejected"))])
                }
            }
        }
        let accepted = results.filter { $0?["success"] == .bool(true) }.count
        return .json(.object([
            ("success", .bool(accepted == items.count)),
            ("accepted", .int(accepted)),
            ("rejected", .int(items.count - accepted)),
            ("results", .array(results.map { $0 ?? .null })),
        ]), status: accepted > 0 ? 202 : 400)
    }

    /// The shape checks of one item; whether its conversation and message exist is the intake's part.
    private static func incoming(_ item: JSONValue) throws(APIError) -> IncomingMessage {
        guard case .object = item else { throw APIError.badRequest("each message must be an object", field: "message") }
        let fields = BodyFields(item)
        let conversationID = try fields.positiveID("conversation_id")
        let agentID = try fields.int("agent_id")
        if fields.has("message_id") {
            return IncomingMessage(conversationID: conversationID, agentID: agentID,
                                   body: .existing(messageID: try fields.positiveID("message_id")))
        }
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
        return IncomingMessage(conversationID: conversationID, agentID: agentID,
                               body: .new(senderType: sender, senderID: try fields.int("sender_id"), content: content,
                                          messageType: messageType, createdAt: createdAt))
    }

    private static func describe(_ index: Int, _ outcome: IntakeResult) -> JSONValue {
        switch outcome {
        case .queued(let messageID, let queueID, let queued):
            return .object([("index", .int(index)), ("success", .bool(true)), ("message_id", .int(messageID)),
                            ("queued", .bool(queued)), ("queue_id", .int(queueID))])
        case .notAnalysed(let messageID):
            return .object([("index", .int(index)), ("success", .bool(true)), ("message_id", .int(messageID)),
                            ("queued", .bool(false)), ("reason", .string("only customer messages are analysed"))])
        case .conversationNotFound(let id):
            return rejection(index, APIError.notFound("conversation \(id) not found"))
        case .messageNotFound(let id):
            return rejection(index, APIError.notFound("message \(id) not found"))
        case .messageInOtherConversation(let id):
            return rejection(index, APIError.badRequest("message \(id) belongs to another conversation", field: "conversation_id"))
        }
    }

    private static func rejection(_ index: Int, _ error: APIError) -> JSONValue {
        .object([("index", .int(index)), ("success", .bool(false)), ("error", .string(error.message)),
                 ("code", .string(error.code))])
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
