import Coaching
import Experiments

/// Admin routes for A/B prompt experiments (SPEC §6): the list, one experiment's comparison, and
/// pause / resume / conclude. Supervisors may read; only admins may change an experiment.
enum ExperimentRoutes {
    static func list(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "experiments")
        let contents = context.prompts.current()
        let report = ExperimentReport(connection: try context.database())
        let summaries = try contents.experiments.map { definition in
            try report.compare(definition, templates: contents.templates).summaryJSON
        }
        return .json(.object([("success", .bool(true)), ("experiments", .array(summaries))]))
    }

    static func show(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        _ = try Caller.staff(request, context, changing: false, subject: "experiments")
        let since = try request.query().fields.string("since")
        if let since, !isDay(since) { throw APIError.badRequest("since must be a date YYYY-MM-DD", field: "since") }
        let (definition, contents) = try experiment(parameters, context)
        let comparison = try ExperimentReport(connection: try context.database())
            .compare(definition, templates: contents.templates, since: since)
        return .json(comparison.json)
    }

    static func pause(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        try change(request, parameters, context, to: .paused)
    }

    static func resume(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        try change(request, parameters, context, to: .running)
    }

    static func conclude(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext) throws -> HTTPResponse {
        try change(request, parameters, context, to: .concluded)
    }

    private static func change(_ request: HTTPRequest, _ parameters: RouteParameters, _ context: RequestContext,
                               to status: ExperimentDefinition.Status) throws -> HTTPResponse {
        let principal = try Caller.staff(request, context, changing: true, subject: "experiments")
        let (definition, contents) = try experiment(parameters, context)
        var winner: String?
        if status == .concluded {
            guard let named = try request.bodyFields().string("winner") else {
                throw APIError.badRequest("winner is required: the variant everyone gets from now on", field: "winner")
            }
            winner = named
        }
        let connection = try context.database()
        do {
            try ExperimentStore(connection: connection).setStatus(status, of: definition, winner: winner)
        } catch ExperimentStore.ActionError.unknownVariant(let name) {
            throw APIError.badRequest("winner \"\(name)\" is not a variant of \(definition.key)", field: "winner")
        } catch ExperimentStore.ActionError.alreadyConcluded {
            throw APIError.badRequest("\(definition.key) is concluded; start a new experiment instead", field: "status")
        }
        context.logger.info("experiment changed", metadata: [
            "experiment": "\(definition.key)", "status": "\(status.rawValue)", "by": "\(principal.userID ?? 0)"])
        let comparison = try ExperimentReport(connection: connection).compare(definition, templates: contents.templates)
        return .json(.object([("success", .bool(true)), ("experiment", comparison.summaryJSON)]))
    }

    private static func experiment(_ parameters: RouteParameters,
                                   _ context: RequestContext) throws -> (ExperimentDefinition, PromptCatalog.Contents) {
        let contents = context.prompts.current()
        guard let definition = contents.experiment(parameters.key) else {
            throw APIError.notFound("no experiment \(parameters.key)")
        }
        return (definition, contents)
    }

    private static func isDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 10 && bytes[4] == 0x2d && bytes[7] == 0x2d
            && bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (0x30...0x39).contains($0.element) }
    }
}
