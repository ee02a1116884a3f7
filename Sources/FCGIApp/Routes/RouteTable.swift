import Experiments

/// Every route of the service, in one table.
enum RouteTable {
    static func make() -> Router {
        var router = Router(isKey: { ExperimentDefinition.isName($0) })
        // Agent routes (SPEC §3).
        router.add("GET", "/api/coaching/settings", AgentRoutes.settings)
        router.add("GET", "/api/coaching/hints/pending", AgentRoutes.pendingHints)
        router.add("GET", "/api/coaching/hints/conversation/{id}", AgentRoutes.conversationHints)
        router.add("POST", "/api/coaching/hints/{id}/view", AgentRoutes.view)
        router.add("POST", "/api/coaching/hints/{id}/feedback", AgentRoutes.feedback)
        router.add("POST", "/api/coaching/hints/{id}/use-suggestion", AgentRoutes.useSuggestion)
        router.add("POST", "/api/coaching/typing", AgentRoutes.typing)
        // The original system's routes, kept with their shapes.
        router.add("GET", "/coaching/pending-hints", AgentRoutes.pendingHints)
        router.add("GET", "/coaching/stats", LegacyRoutes.stats)
        router.add("POST", "/coaching/mark-viewed", LegacyRoutes.markViewed)
        router.add("POST", "/coaching/feedback", LegacyRoutes.feedback)
        // Push subscription check (nginx auth_request) and the demo console.
        router.add("GET", "/coaching/events/auth", PushRoutes.authorize)
        router.add("GET", "/api/coaching/console/conversations", ConsoleRoutes.conversations)
        router.add("GET", "/api/coaching/console/conversations/{id}/messages", ConsoleRoutes.messages)
        router.add("POST", "/api/coaching/console/conversations/{id}/messages", ConsoleRoutes.reply)
        // The chat application (service credential).
        router.add("POST", "/coaching/messages", ServiceRoutes.messages)
        router.add("POST", "/coaching/outcomes", OutcomeRoutes.record)
        // Admin: A/B prompt experiments.
        router.add("GET", "/coaching/admin/experiments", ExperimentRoutes.list)
        router.add("GET", "/coaching/admin/experiments/{key}", ExperimentRoutes.show)
        router.add("POST", "/coaching/admin/experiments/{key}/pause", ExperimentRoutes.pause)
        router.add("POST", "/coaching/admin/experiments/{key}/resume", ExperimentRoutes.resume)
        router.add("POST", "/coaching/admin/experiments/{key}/conclude", ExperimentRoutes.conclude)
        // Admin: settings, costs and pipeline stats.
        router.add("GET", "/coaching/admin/settings", SettingsRoutes.show)
        router.add("POST", "/coaching/admin/settings", SettingsRoutes.update)
        router.add("POST", "/coaching/admin/settings/validate", SettingsRoutes.validate)
        router.add("GET", "/coaching/admin/costs", ReportRoutes.costs)
        router.add("GET", "/coaching/admin/stats", ReportRoutes.stats)
        router.add("GET", "/coaching/admin/hint-types", ReportRoutes.hintTypes)
        // Operations.
        router.add("GET", "/coaching/health", OpsRoutes.health)
        router.add("GET", "/coaching/metrics", OpsRoutes.metrics)
        return router
    }
}
