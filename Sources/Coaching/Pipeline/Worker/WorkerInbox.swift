import Foundation

/// The worker threads' one shared, locked state: LLM results waiting to be recorded, the jobs whose
/// call is in flight (their leases are extended), and the stop and wake signals. LLM completions
/// arrive on the client's curl-multi thread and only append here; a worker thread records them.
final class WorkerInbox: @unchecked Sendable {
    typealias Completion = (call: PendingCall, result: Result<ChatCompletionResponse, LLMError>)

    // `NSCondition`, not `Mutex`: idle threads wait on it for a result, a wake or the next poll.
    private let condition = NSCondition()
    private var completions: [Completion] = []
    private var inFlight: [Int: Date] = [:]
    private var stopping = false
    private var woken = false

    /// Registers a call before it is submitted, so its lease is extended until it is recorded.
    func callStarted(queueID: Int) {
        condition.lock()
        inFlight[queueID] = Date()
        condition.unlock()
    }

    /// Called from the LLM client's thread with the call's result.
    func deliver(_ call: PendingCall, _ result: Result<ChatCompletionResponse, LLMError>) {
        condition.lock()
        completions.append((call, result))
        condition.signal()
        condition.unlock()
    }

    /// Takes every waiting result; their jobs stop counting as in flight.
    func takeCompletions() -> [Completion] {
        condition.lock()
        defer { condition.unlock() }
        let batch = completions
        completions.removeAll()
        for completion in batch { inFlight[completion.call.job.id] = nil }
        return batch
    }

    var inFlightIDs: [Int] {
        condition.lock()
        defer { condition.unlock() }
        return Array(inFlight.keys)
    }

    /// How many more jobs this process may claim now (0 while stopping).
    func room(maxInFlight: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return stopping ? 0 : max(maxInFlight - inFlight.count, 0)
    }

    /// True once stopping and nothing is in flight or waiting to be recorded: a thread may leave.
    var drained: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping && inFlight.isEmpty && completions.isEmpty
    }

    var hasCallsInFlight: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !inFlight.isEmpty
    }

    /// Sleeps up to `seconds` unless a result or a wake arrives first.
    func idle(upTo seconds: Double) {
        condition.lock()
        if completions.isEmpty && !woken { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        woken = false
        condition.unlock()
    }

    func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
