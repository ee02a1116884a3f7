import ArgumentParser
import Coaching
import Experiments
import Foundation
import Logging
import MariaDB

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the FastCGI request threads (and the analysis workers) until SIGTERM/SIGINT."
    )

    @Option(help: "Unix socket path (overrides COACHING_SOCKET).")
    var socket: String?

    @Option(help: "Number of request threads (overrides COACHING_THREADS).")
    var threads: Int?

    @Option(help: "Analysis worker threads; 0 serves requests only (overrides COACHING_WORKER_THREADS).")
    var workers: Int?

    func run() throws {
        Logs.bootstrap()
        let logger = Logger(label: "coaching.serve")
        var configuration = try AppConfiguration.load()
        if let socket { configuration.socketPath = socket }
        if let threads { configuration.requestThreads = threads }
        if let workers { configuration.workerThreads = max(workers, 0) }
        try DescriptorBudget(configuration, serving: true).check()
        try configuration.requireSecret()

        // Before any thread exists, so that the stop signals reach only sigwait.
        let stopSignals = StopSignals.block()
        MariaDBLibrary.initialize()
        let metrics = ServiceMetrics.bootstrap()
        let settingsProvider = SettingsProvider(maxAge: configuration.settingsMaxAge)
        let authenticator = Authenticator(secret: configuration.jwtSecret, cookieName: configuration.cookieName,
                                          trustNginxIdentity: configuration.trustNginxIdentity)
        let pollCache = PendingHintsCache()
        let replicaPollCache = PendingHintsCache()
        let frozen = configuration
        let prompts = try PromptCatalog(directory: configuration.promptsDirectory)
        let worker = configuration.workerThreads > 0
            ? WorkerLauncher.make(configuration, settingsProvider: settingsProvider, prompts: prompts) : nil
        let server = FastCGIServer(
            socketPath: configuration.socketPath,
            threadCount: configuration.requestThreads,
            maxConnections: configuration.fastCGIConnections,
            bodyLimit: configuration.bodyLimit,
            router: RouteTable.make(),
            metrics: metrics,
            logger: logger
        ) {
            RequestContext(configuration: frozen, settingsProvider: settingsProvider, authenticator: authenticator,
                           prompts: prompts, pollCache: pollCache, replicaPollCache: replicaPollCache, metrics: metrics, messagesQueued: { worker?.wake() },
                           logger: Logger(label: "coaching.request"))
        }
        try worker?.start()
        try server.start()

        let received = stopSignals.wait()
        logger.info("stopping: draining in-flight requests and analyses", metadata: ["signal": "\(received)"])
        server.stop()
        worker?.stop()
        server.wait()
        logger.info("stopped")
    }
}
