import ArgumentParser
import Coaching
import Experiments
import Foundation
import Logging
import MariaDB

#if canImport(Glibc)
import Glibc
#endif

/// `coaching worker`: analysis workers only, for hosts that serve no HTTP.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run only the analysis workers (claim queued messages, analyse, record outcomes) until SIGTERM/SIGINT."
    )

    @Option(help: "Worker threads (overrides COACHING_WORKER_THREADS; at least 1).")
    var threads: Int?

    func run() throws {
        Logs.bootstrap()
        var configuration = try AppConfiguration.load()
        configuration.workerThreads = max(threads ?? configuration.workerThreads, 1)
        try DescriptorBudget(configuration, serving: false).check()
        let stopSignals = StopSignals.block()
        MariaDBLibrary.initialize()
        let worker = WorkerLauncher.make(configuration, settingsProvider: SettingsProvider(maxAge: configuration.settingsMaxAge),
                                         prompts: try PromptCatalog(directory: configuration.promptsDirectory))
        try worker.start()
        let received = stopSignals.wait()
        Logger(label: "coaching.worker").info("stopping: finishing in-flight analyses", metadata: ["signal": "\(received)"])
        worker.stop()
    }
}

enum WorkerLauncher {
    static func make(_ configuration: AppConfiguration, settingsProvider: SettingsProvider,
                     prompts: PromptCatalog) -> AnalysisWorker {
        AnalysisWorker(
            configuration: .init(workerID: configuration.workerID, threads: configuration.workerThreads,
                                 leaseSeconds: configuration.leaseSeconds, database: configuration.database,
                                 apiKey: configuration.openAIKey, classifier: loadClassifier(configuration.classifierFile),
                                 embeddingsKey: configuration.embeddingsKey, llmConnections: configuration.llmConnections),
            settingsProvider: settingsProvider,
            // Pushes leave from their own thread, so a slow nginx never holds a worker thread.
            publisher: configuration.nchanPublishSocket.map { BackgroundPublisher(transport: NchanPublisher(socketPath: $0)) }
                ?? PollingOnlyPublisher(),
            prompts: ExperimentPromptSelector(catalog: prompts))
    }
}

extension WorkerLauncher {
    /// The local analyser's weights; without them (missing or invalid file) it decides by rules
    /// alone, which the log and `/coaching/health` say.
    static func loadClassifier(_ path: String) -> SituationClassifier? {
        let logger = Logger(label: "coaching.worker")
        do {
            let classifier = try SituationClassifier.load(path: path)
            logger.info("situation classifier loaded", metadata: ["file": "\(path)", "embeddings_model": "\(classifier.embeddingsModel)"])
            return classifier
        } catch {
            logger.warning("no situation classifier; the local analyser uses its rules alone",
                           metadata: ["file": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}

/// SIGTERM/SIGINT blocked in every thread and collected by `sigwait` on the main thread, so that a
/// signal can never interrupt a random worker thread.
struct StopSignals {
    private var set = sigset_t()

    static func block() -> StopSignals {
        signal(SIGPIPE, SIG_IGN)
        var signals = StopSignals()
        sigemptyset(&signals.set)
        sigaddset(&signals.set, SIGTERM)
        sigaddset(&signals.set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals.set, nil)
        return signals
    }

    func wait() -> Int32 {
        var received: Int32 = 0
        var copy = set
        sigwait(&copy, &received)
        return received
    }
}
