import Coaching
import Experiments
import Logging
import MariaDB

/// What one request thread owns: its database connection (opened lazily, reopened after failures)
/// plus references to the process-wide shared, thread-safe services.
final class RequestContext {
    let configuration: AppConfiguration
    let settingsProvider: SettingsProvider
    let authenticator: Authenticator
    let pollCache: PendingHintsCache
    let prompts: PromptCatalog
    /// The process's metrics registry; nil where metrics are not exported (tools, tests).
    let metrics: ServiceMetrics?
    /// Tells this process's analysis workers that messages were just queued (does nothing without workers).
    let messagesQueued: @Sendable () -> Void
    let logger: Logger
    private var connection: MariaDBConnection?

    init(configuration: AppConfiguration, settingsProvider: SettingsProvider, authenticator: Authenticator,
         prompts: PromptCatalog, pollCache: PendingHintsCache = PendingHintsCache(), metrics: ServiceMetrics? = nil,
         messagesQueued: @escaping @Sendable () -> Void = {}, logger: Logger) {
        self.configuration = configuration
        self.settingsProvider = settingsProvider
        self.authenticator = authenticator
        self.pollCache = pollCache
        self.prompts = prompts
        self.metrics = metrics
        self.messagesQueued = messagesQueued
        self.logger = logger
    }

    /// This thread's connection; a failure to connect is a 503 for this request only.
    func database() throws -> MariaDBConnection {
        if let connection { return connection }
        do {
            let fresh = try MariaDBConnection(configuration: configuration.database, logger: logger)
            connection = fresh
            return fresh
        } catch {
            logger.warning("database connect failed", metadata: ["error": "\(error)"])
            throw APIError.unavailable("database unavailable, retry shortly")
        }
    }

    /// The connection if one is open or can be opened, for health checks that must not throw.
    func databaseIfReachable() -> MariaDBConnection? {
        try? database()
    }

    func settings() throws -> SettingsSnapshot {
        try settingsProvider.current(using: database())
    }
}
