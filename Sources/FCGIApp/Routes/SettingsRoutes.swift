import Coaching
import JSON

/// Admin routes for the settings (SPEC §5): read every setting with the rules it must follow, check
/// an edit without saving it, and save it. Supervisors may read — the answer never holds a secret,
/// and seeing why coaching behaves as it does is part of supervising; only admins may check or save
/// (checking is part of editing). The LLM key is write-only: answers say only whether one is set.
enum SettingsRoutes {
    static func show(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "settings")
        let documents = try SettingsStore(connection: context.database()).documents()
        return .json(answer(documents, context))
    }

    /// The dry run: the same checks as a save and the settings as they would be; nothing is written.
    static func validate(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: true, subject: "settings")
        let body = try request.bodyFields().json
        let (change, after) = try SettingsUpdate(connection: context.database()).preview(body)
        return .json(answer(after, context, extra: [("valid", .bool(true)), ("changed", changed(change))]))
    }

    static func update(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        let principal = try Caller.staff(request, context, changing: true, subject: "settings")
        let body = try request.bodyFields().json
        let (change, after) = try SettingsUpdate(connection: context.database()).save(body)
        // This process reads the new rows at once; the others within their 1 s refresh.
        context.settingsProvider.invalidate()
        // Field names only: values may be customer-facing text or a secret.
        context.logger.info("settings saved", metadata: [
            "fields": "\(change.changedFields.joined(separator: ","))", "by": "\(principal.userID ?? 0)"])
        return .json(answer(after, context, extra: [("saved", .bool(true)), ("changed", changed(change))]))
    }

    private static func changed(_ change: SettingsChange) -> JSONValue {
        .array(change.changedFields.map { .string($0) })
    }

    private static func answer(_ documents: SettingsDocuments, _ context: RequestContext,
                               extra: [(String, JSONValue)] = []) -> JSONValue {
        var warnings: [JSONValue] = []
        if documents.conversationSettingsUnreadable {
            warnings.append(.string("the stored conversation_settings row is not a JSON object; saving coaching settings replaces it"))
        }
        return .object([("success", .bool(true))] + extra + [
            ("settings", documents.adminJSON),
            // An environment key wins over the stored one (README, Configuration).
            ("api_key_in_environment", .bool(context.configuration.openAIKey != nil)),
            ("warnings", .array(warnings)),
            ("schema", SettingsSchema.json),
        ])
    }
}
