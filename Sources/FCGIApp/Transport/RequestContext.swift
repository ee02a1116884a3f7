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
    /// Poll answers read on the primary, and those read on the replica: each cache's change feed
    /// must follow the server its answers come from, or a lagging replica's answer could be kept
    /// as fresh after the feed had already seen (on the primary) the hint it lacks.
    let pollCache: PendingHintsCache
    let replicaPollCache: PendingHintsCache
    let prompts: PromptCatalog
    /// The process's metrics registry; nil where metrics are not exported (tools, tests).
    let metrics: ServiceMetrics?
    /// Tells this process's analysis workers that messages were just queued (does nothing without workers).
    let messagesQueued: @Sendable () -> Void
    let logger: Logger
    private var connection: MariaDBConnection?
    /// This thread's route to the read replica; nil when none is configured.
    let replica: ReadReplica?

    init(configuration: AppConfiguration, settingsProvider: SettingsProvider, authenticator: Authenticator,
         prompts: PromptCatalog, pollCache: PendingHintsCache = PendingHintsCache(),
         replicaPollCache: PendingHintsCache = PendingHintsCache(), metrics: ServiceMetrics? = nil,
         messagesQueued: @escaping @Sendable () -> Void = {}, logger: Logger) {
        self.configuration = configuration
        self.settingsProvider = settingsProvider
        self.authenticator = authenticator
        self.pollCache = pollCache
        self.replicaPollCache = replicaPollCache
        self.prompts = prompts
        self.metrics = metrics
        self.messagesQueued = messagesQueued
        self.logger = logger
        replica = configuration.replica.map {
            ReadReplica(configuration: $0, maxLag: configuration.replicaMaxLagSeconds, logger: logger)
        }
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

    /// Runs `body` for a poll read, which tolerates replication lag: on the replica (with the
    /// replica's answer cache) when one is configured, reachable and fresh enough, else on this
    /// thread's primary connection.
    func readingReplica<T>(_ body: (MariaDBConnection, PendingHintsCache) throws -> T) throws -> T {
        guard let replica else { return try body(database(), pollCache) }
        return try replica.read(onReplica: { try body($0, replicaPollCache) }, onPrimary: { try body(database(), pollCache) })
    }

    /// After this process changed one of `agentID`'s hints, so its own next poll never sees the old state.
    func notePollWrite(agentID: Int?) {
        pollCache.noteLocalWrite(agentID: agentID)
        replicaPollCache.noteLocalWrite(agentID: agentID)
    }

    /// The connection if one is open or can be opened, for health checks that must not throw.
    func databaseIfReachable() -> MariaDBConnection? {
        try? database()
    }

    func settings() throws -> SettingsSnapshot {
        try settingsProvider.current(using: database())
    }
}
