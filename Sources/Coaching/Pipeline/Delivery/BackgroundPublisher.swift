import Foundation
import Logging

/// Publishes from one thread of its own, so a slow or stuck push transport never holds a worker
/// thread (and with it a database connection and the jobs behind it). The queue is bounded: when
/// it is full the hint is not pushed, which loses nothing, because the hints table is the source
/// of truth and polling returns the same hint.
public final class BackgroundPublisher: HintPublisher, @unchecked Sendable {
    private let transport: any HintPublisher
    private let capacity: Int
    private let logger: Logger
    // Guards `pending` and `stopped`; the publishing thread waits on it.
    private let condition = NSCondition()
    private var pending: [(Hint, String)] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    public init(transport: any HintPublisher, capacity: Int = 2_000, logger: Logger = Logger(label: "coaching.push")) {
        self.transport = transport
        self.capacity = capacity
        self.logger = logger
        let thread = Thread { [self] in self.run() }
        thread.name = "push-publisher"
        thread.start()
    }

    public func publish(_ hint: Hint, language: String) {
        condition.lock()
        let accepted = !stopped && pending.count < capacity
        if accepted {
            pending.append((hint, language))
            condition.signal()
        }
        condition.unlock()
        if !accepted {
            PipelineMetrics.pushPublish(delivered: false)
            logger.warning("push queue full; polling will deliver the hint", metadata: ["hint_id": "\(hint.id)"])
        }
    }

    /// Publishes what is queued, then ends the thread.
    public func close() {
        condition.lock()
        let wasStopped = stopped
        stopped = true
        condition.signal()
        condition.unlock()
        if !wasStopped { finished.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            let batch = pending
            pending.removeAll()
            let done = stopped
            condition.unlock()
            for (hint, language) in batch { transport.publish(hint, language: language) }
            if done && batch.isEmpty { break }
        }
        finished.signal()
    }
}
