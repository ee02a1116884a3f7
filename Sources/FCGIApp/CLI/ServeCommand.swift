import ArgumentParser
import Coaching
import Foundation
import Logging
import MariaDB

#if canImport(Glibc)
import Glibc
#endif

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the FastCGI request threads on a unix socket until SIGTERM/SIGINT."
    )

    @Option(help: "Unix socket path (overrides COACHING_SOCKET).")
    var socket: String?

    @Option(help: "Number of request threads (overrides COACHING_THREADS).")
    var threads: Int?

    func run() throws {
        Logs.bootstrap()
        let logger = Logger(label: "coaching.serve")
        var configuration = try AppConfiguration.load()
        if let socket { configuration.socketPath = socket }
        if let threads { configuration.requestThreads = threads }
        try configuration.requireSecret()

        // Block the stop signals before any thread exists so that they are delivered to sigwait only.
        signal(SIGPIPE, SIG_IGN)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        MariaDBLibrary.initialize()
        let settingsProvider = SettingsProvider(maxAge: configuration.settingsMaxAge)
        let authenticator = Authenticator(secret: configuration.jwtSecret, cookieName: configuration.cookieName,
                                          trustNginxIdentity: configuration.trustNginxIdentity)
        let frozen = configuration
        let server = FastCGIServer(
            socketPath: configuration.socketPath,
            threadCount: configuration.requestThreads,
            bodyLimit: configuration.bodyLimit,
            router: RouteTable.make(),
            logger: logger
        ) {
            RequestContext(configuration: frozen, settingsProvider: settingsProvider,
                           authenticator: authenticator, logger: Logger(label: "coaching.request"))
        }
        try server.start()

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.info("stopping: draining in-flight requests", metadata: ["signal": "\(received)"])
        server.stop()
        server.wait()
        logger.info("stopped")
    }
}
