import Coaching
import JSON

/// Handlers for the agent routes: reading one's hints and acting on them.
enum AgentRoutes {
    static func settings(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.authenticate(request, context)
        let settings = try context.settings()
        return .json(.object([
            ("success", .bool(true)),
            ("settings", settings.coaching.json),
            ("coaching_enabled", .bool(settings.coaching.enabled)),
            ("enabled", .bool(settings.coaching.enabled)),
            ("language", .string(settings.service.language)),
        ]))
    }

    /// Serves both `/api/coaching/hints/pending` and the original `/coaching/pending-hints`.
    static func pendingHints(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let settings = try context.settings()
        guard settings.coaching.enabled else {
            return .json(.object([("success", .bool(true)), ("enabled", .bool(false)), ("hints", .array([]))]))
        }
        let query = try request.query().fields
        let conversationID = try query.positiveID("conversation_id")
        var seconds = try query.int("seconds") ?? 30
        guard seconds > 0 else { throw APIError.badRequest("seconds must be a positive integer", field: "seconds") }
        seconds = min(seconds, HintStore.maxPendingSeconds)
        let agentID = try principal.agentScope(requested: query.optionalPositiveID("agent_id"))
        let key = PendingHintsCache.Key(agentID: agentID, conversationID: conversationID, seconds: seconds)
        let language = settings.service.language
        // The change feed and the hints are read on the same server, so the cache never keeps an
        // answer older than the feed it was checked against.
        let body = try context.readingReplica { connection, pollCache in
            try pollCache.answer(for: key, variant: language, connection: connection) {
                try HintStore(connection: connection).pending(agentID: agentID, conversationID: conversationID, seconds: seconds)
            } encode: { hints in
                JSONWriter.bytes(.object([
                    ("success", .bool(true)),
                    ("enabled", .bool(true)),
                    ("hints", .array(hints.map { $0.json(language: language, includeMessageBody: true) })),
                ]))
            }
        }
        return .jsonBody(body)
    }

    static func conversationHints(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let settings = try context.settings()
        guard settings.coaching.enabled else {
            return .json(.object([("success", .bool(true)), ("enabled", .bool(false)),
                                  ("hints", .array([])), ("hints_by_message", .object([]))]))
        }
        let query = try request.query().fields
        let limit = try query.int("limit") ?? 50
        guard limit > 0 else { throw APIError.badRequest("limit must be a positive integer", field: "limit") }
        let agentID = try principal.agentScope(requested: query.optionalPositiveID("agent_id"))
        let hints = try HintStore(connection: context.database())
            .forConversation(agentID: agentID, conversationID: parameters.id(), limit: min(limit, HintStore.maxConversationLimit))
        let language = settings.service.language
        var byMessage: [(String, JSONValue)] = []
        var positions: [Int: Int] = [:]
        for hint in hints {
            guard let messageID = hint.messageID else { continue }
            if let position = positions[messageID], case .array(let existing) = byMessage[position].1 {
                byMessage[position].1 = .array(existing + [hint.json(language: language)])
            } else {
                positions[messageID] = byMessage.count
                byMessage.append((String(messageID), .array([hint.json(language: language)])))
            }
        }
        return .json(.object([
            ("success", .bool(true)),
            ("enabled", .bool(true)),
            ("hints", .array(hints.map { $0.json(language: language) })),
            ("hints_by_message", .object(byMessage)),
        ]))
    }

    static func view(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        _ = try request.bodyFields() // the body is optional, but a malformed one is still an error
        return try markViewed(hintID: parameters.id(), principal: principal, context: context)
    }

    static func markViewed(hintID: Int, principal: Principal, context: RequestContext) throws -> HTTPResponse {
        let viewedAt = try HintStore(connection: context.database()).markViewed(id: hintID, agentID: Caller.agentID(principal))
        context.notePollWrite(agentID: try Caller.agentID(principal))
        return .json(.object([("success", .bool(true)), ("viewed_at", .string(viewedAt))]))
    }

    static func feedback(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let body = try request.bodyFields()
        return try recordFeedback(hintID: parameters.id(), body: body, principal: principal, context: context)
    }

    /// Accepts `feedback: "helpful"|"not_helpful"` or the original toast's `helpful: bool`.
    static func recordFeedback(hintID: Int, body: BodyFields, principal: Principal, context: RequestContext) throws -> HTTPResponse {
        let feedback: HintFeedback
        if let text = try body.string("feedback") {
            guard let value = HintFeedback(rawValue: text) else {
                throw APIError.badRequest("feedback must be \"helpful\" or \"not_helpful\"", field: "feedback")
            }
            feedback = value
        } else if let helpful = try body.bool("helpful") {
            feedback = helpful ? .helpful : .notHelpful
        } else {
            throw APIError.badRequest("feedback is required (\"helpful\" or \"not_helpful\")", field: "feedback")
        }
        let reason = try body.string("reason")
        try HintStore(connection: context.database())
            .setFeedback(id: hintID, agentID: Caller.agentID(principal), feedback: feedback, reason: reason)
        context.notePollWrite(agentID: try Caller.agentID(principal))
        return .json(.object([("success", .bool(true)), ("feedback", .string(feedback.rawValue))]))
    }

    static func useSuggestion(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let body = try request.bodyFields()
        guard let index = try body.int("suggestion_index") else {
            throw APIError.badRequest("suggestion_index is required", field: "suggestion_index")
        }
        let text = try HintStore(connection: context.database())
            .useSuggestion(id: parameters.id(), agentID: Caller.agentID(principal), index: index)
        context.notePollWrite(agentID: try Caller.agentID(principal))
        return .json(.object([("success", .bool(true)), ("suggestion", .string(text))]))
    }

    static func typing(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.authenticate(request, context)
        let body = try request.bodyFields()
        let conversationID = try body.positiveID("conversation_id")
        guard let isTyping = try body.bool("is_typing") else {
            throw APIError.badRequest("is_typing is required", field: "is_typing")
        }
        try TypingState(connection: context.database())
            .set(agentID: Caller.agentID(principal), conversationID: conversationID, isTyping: isTyping)
        return .json(.object([("success", .bool(true)), ("is_typing", .bool(isTyping))]))
    }
}

extension BodyFields {
    func optionalPositiveID(_ name: String) throws(APIError) -> Int? {
        guard has(name) else { return nil }
        return try positiveID(name)
    }
}
