import Foundation
import Logging
import MariaDB

/// The background half of the service: threads that claim due queue rows and take each one to
/// exactly one recorded outcome.
///
/// Threads: `threads` worker threads, each owning one MariaDB connection and one embeddings
/// connection. A claimed job goes through `JobProcessor` (triage, cache, limits, analyser choice);
/// an LLM call does not hold a thread: it is submitted to the process's `OpenAIClient` (one
/// libcurl multi thread) and its result comes back through the `WorkerInbox`, which any worker
/// thread drains into `LLMResultRecorder`. Thread 0 also runs `WorkerHousekeeping` once a second.
public final class AnalysisWorker: Sendable {
    public struct Configuration: Sendable {
        public var workerID: String
        public var threads: Int
        public var batchSize: Int
        public var leaseSeconds: Int
        public var pollInterval: Double
        public var maxInFlight: Int
        public var database: MariaDBConfiguration
        /// From the environment (`COACHING_OPENAI_API_KEY`); wins over the settings row.
        public var apiKey: String?
        /// The local analyser's trained weights; nil decides by rules alone.
        public var classifier: SituationClassifier?
        /// From the environment (`COACHING_EMBEDDINGS_API_KEY`); wins over the settings row.
        public var embeddingsKey: String?
        /// Connections to the LLM server at once.
        public var llmConnections: Int

        public init(workerID: String, threads: Int = 2, batchSize: Int = 2, leaseSeconds: Int = 120,
                    pollInterval: Double = 0.1, maxInFlight: Int = 512,
                    database: MariaDBConfiguration, apiKey: String?, classifier: SituationClassifier? = nil,
                    embeddingsKey: String? = nil, llmConnections: Int = 256) {
            self.workerID = workerID
            self.threads = threads
            self.batchSize = batchSize
            self.leaseSeconds = leaseSeconds
            self.pollInterval = pollInterval
            self.maxInFlight = maxInFlight
            self.database = database
            self.apiKey = apiKey
            self.classifier = classifier
            self.embeddingsKey = embeddingsKey
            self.llmConnections = llmConnections
        }
    }

    private let configuration: Configuration
    private let settingsProvider: SettingsProvider
    private let publisher: any HintPublisher
    private let logger: Logger
    private let inbox = WorkerInbox()
    private let clients: LLMClientHolder
    private let local: LocalAnalysisRunner
    private let processor: JobProcessor
    private let housekeeping: WorkerHousekeeping
    private let finished = DispatchGroup()

    public init(configuration: Configuration, settingsProvider: SettingsProvider, publisher: any HintPublisher,
                prompts: any PromptSelector, logger: Logger = Logger(label: "coaching.worker")) {
        self.configuration = configuration
        self.settingsProvider = settingsProvider
        self.publisher = publisher
        self.logger = logger
        clients = LLMClientHolder(maxConnections: configuration.llmConnections)
        local = LocalAnalysisRunner(classifier: configuration.classifier, environmentKey: configuration.embeddingsKey)
        processor = JobProcessor(workerID: configuration.workerID, apiKey: configuration.apiKey,
                                 settingsProvider: settingsProvider, prompts: prompts, publisher: publisher,
                                 local: local, clients: clients, inbox: inbox, logger: logger)
        housekeeping = WorkerHousekeeping(workerID: configuration.workerID, leaseSeconds: configuration.leaseSeconds,
                                          settingsProvider: settingsProvider, inbox: inbox, clients: clients, local: local)
    }

    public func start() throws {
        for index in 0..<configuration.threads {
            finished.enter()
            let thread = Thread { [self] in
                self.run(index: index)
                self.finished.leave()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }
        logger.info("analysis workers started", metadata: ["threads": "\(configuration.threads)", "worker": "\(configuration.workerID)"])
    }

    /// Stops claiming, lets in-flight calls finish (or be cancelled after `grace`), and returns when
    /// every thread has left. Unfinished jobs keep their lease and are reclaimed after it expires.
    public func stop(grace: Double = 5) {
        inbox.stop()
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, inbox.hasCallsInFlight {
            Thread.sleep(forTimeInterval: 0.05)
        }
        clients.shutdown()
        finished.wait()
        publisher.close()
    }

    /// Messages were just queued in this process: idle threads claim now instead of at their next
    /// poll. Other processes' intake is found by polling (`pollInterval`, or the next due time).
    public func wake() {
        inbox.wake()
    }

    public var circuitState: String {
        clients.circuitState
    }

    private func run(index: Int) {
        var connection: MariaDBConnection?
        let embedder = MessageEmbedder(memo: local.memo)
        var lastHousekeeping = Date.distantPast
        while !inbox.drained {
            do {
                if connection == nil {
                    connection = try MariaDBConnection(configuration: configuration.database, logger: logger)
                }
                guard let connection else { continue }
                var worked = recordCompletions(connection, embedder: embedder)
                if index == 0, Date().timeIntervalSince(lastHousekeeping) >= 1 {
                    lastHousekeeping = Date()
                    try housekeeping.run(connection)
                }
                let room = inbox.room(maxInFlight: configuration.maxInFlight)
                if room > 0 {
                    let settings = try settingsProvider.current(using: connection)
                    let jobs = try QueueClaim(connection: connection, workerID: configuration.workerID)
                        .claim(limit: min(configuration.batchSize, room), leaseSeconds: configuration.leaseSeconds,
                               debounce: settings.coaching.queueProcessingDelay, maxAhead: settings.coaching.maxQueueSize)
                    for job in jobs {
                        processor.process(job, connection: connection, embedder: embedder)
                        // Answers that came back meanwhile are saved now, not after the whole batch.
                        worked = recordCompletions(connection, embedder: embedder) || worked
                    }
                    worked = worked || !jobs.isEmpty
                }
                if !worked {
                    try idle(connection, claiming: room > 0, embedder: embedder)
                }
            } catch {
                logger.warning("worker loop error; retrying", metadata: ["error": "\(error)"])
                connection = nil
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// Nothing to do right now: embed messages that wait out their debounce, or sleep until the next
    /// row is due (at most `pollInterval`), a result arrives or `wake` is called.
    private func idle(_ connection: MariaDBConnection, claiming: Bool, embedder: MessageEmbedder) throws {
        var seconds = configuration.pollInterval
        if claiming, let due = try QueueClaim(connection: connection, workerID: configuration.workerID).secondsUntilNextDue() {
            if due > 0, let settings = try? settingsProvider.current(using: connection),
               local.prefetch(connection, settings: settings, embedder: embedder) {
                return
            }
            // Due now but not ours (another worker is claiming it): look again shortly.
            seconds = min(seconds, max(due, 0.002))
        }
        inbox.idle(upTo: seconds)
    }

    private func recordCompletions(_ connection: MariaDBConnection, embedder: MessageEmbedder) -> Bool {
        let batch = inbox.takeCompletions()
        let recorder = LLMResultRecorder(connection: connection, workerID: configuration.workerID, publisher: publisher,
                                         local: local, embedder: embedder, logger: logger)
        for (call, result) in batch {
            do {
                try recorder.record(call, result)
            } catch {
                logger.warning("recording an LLM result failed", metadata: ["queue_id": "\(call.job.id)", "error": "\(error)"])
            }
        }
        return !batch.isEmpty
    }
}
