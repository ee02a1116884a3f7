import CCurl
import Foundation

/// The one thread that owns a libcurl multi handle and every transfer on it.
///
/// Other threads talk to it only through `post`, which appends a task to a locked inbox and wakes
/// the thread with `curl_multi_wakeup`. Everything else — `add`, `schedule`, the transfers, the timer
/// heap — is used on the loop thread alone (from posted tasks, timer actions and transfer
/// callbacks), so none of it needs a lock. The thread sleeps in `curl_multi_poll` until a socket is
/// ready, a libcurl timeout or one of our timers is due, or the inbox changes.
///
/// At most `maxInFlight` transfers run at once; the rest wait in order and expire at their deadline.
final class CurlMultiLoop: @unchecked Sendable {
    private struct Timer {
        let fire: () -> Void
        let cancel: () -> Void
    }

    // Shared between threads, under `lock`.
    private let lock = NSLock()
    private var inbox: [@Sendable () -> Void] = []
    private var stopRequested = false
    private var started = false
    private var loopThread: pthread_t?
    private let exited = NSCondition()
    private var hasExited = false

    // The loop thread's own state.
    private let multi: UnsafeMutableRawPointer
    private let maxInFlight: Int
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var waiting: [CurlTransfer] = []
    private var waitingHead = 0
    private var timers = TimerHeap<Timer>()
    private(set) var isStopping = false

    init(maxInFlight: Int, maxHostConnections: Int) throws(LLMClientSetupError) {
        guard CurlBridge.globalInitialization == CURLE_OK else {
            throw LLMClientSetupError("libcurl could not be initialised")
        }
        guard let multi = curl_multi_init() else {
            throw LLMClientSetupError("libcurl could not create a multi handle")
        }
        self.multi = multi
        self.maxInFlight = max(1, maxInFlight)
        let connections = max(1, maxHostConnections)
        CurlBridge.set(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections)
        // Keep idle connections for reuse instead of closing them when handles are removed.
        CurlBridge.set(multi, CURLMOPT_MAXCONNECTS, connections)
    }

    deinit {
        lock.lock()
        let neverStarted = !started
        lock.unlock()
        if neverStarted { curl_multi_cleanup(multi) }
    }

    /// Starts the thread. Call once.
    func start(name: String) {
        lock.lock()
        precondition(!started, "CurlMultiLoop started twice")
        started = true
        lock.unlock()
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Runs `task` on the loop thread soon. False when the loop has stopped (the task will not run).
    /// Safe from any thread.
    @discardableResult
    func post(_ task: @escaping @Sendable () -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard started, !stopRequested else { return false }
        inbox.append(task)
        // One wake-up per batch: while the inbox is non-empty one is already on its way.
        if inbox.count == 1 { curl_multi_wakeup(multi) }
        return true
    }

    /// Stops the loop: running and waiting transfers finish `.cancelled`, pending timers run their
    /// cancel action, then the thread exits. Waits for that unless called on the loop thread itself.
    /// Idempotent.
    func stop() {
        lock.lock()
        let wasRunning = started && !stopRequested
        stopRequested = true
        if wasRunning { curl_multi_wakeup(multi) }
        let onLoopThread = loopThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        let mustWait = started && !onLoopThread
        lock.unlock()
        guard mustWait else { return }
        exited.lock()
        while !hasExited { exited.wait() }
        exited.unlock()
    }

    // MARK: - Loop thread only

    /// Starts `transfer` now, or queues it until a slot frees (it expires at its deadline).
    func add(_ transfer: CurlTransfer) {
        guard !isStopping else {
            transfer.finish(.cancelled)
            return
        }
        if running.count < maxInFlight, waitingHead == waiting.count {
            begin(transfer)
            return
        }
        transfer.phase = .waiting
        waiting.append(transfer)
        schedule(at: transfer.deadline, fire: { [weak transfer] in
            guard let transfer, transfer.phase == .waiting else { return }
            transfer.finish(.expired)
        }, cancel: {})
    }

    /// Runs `fire` on the loop thread at `deadline` (monotonic ms), or `cancel` if the loop stops first.
    func schedule(at deadline: Int, fire: @escaping () -> Void, cancel: @escaping () -> Void) {
        guard !isStopping else {
            cancel()
            return
        }
        timers.insert(Timer(fire: fire, cancel: cancel), deadline: deadline)
    }

    private func begin(_ transfer: CurlTransfer) {
        if let problem = transfer.makeHandle(now: MonotonicTime.milliseconds()) {
            transfer.finish(.failed(kind: .transport, message: problem))
            return
        }
        guard let easy = transfer.easy else { return }
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else {
            transfer.finish(.failed(kind: .transport, message: String(cString: curl_multi_strerror(added))))
            return
        }
        transfer.phase = .running
        running[easy] = transfer
    }

    private func run() {
        lock.lock()
        loopThread = pthread_self()
        lock.unlock()

        while true {
            lock.lock()
            let tasks = inbox
            inbox.removeAll(keepingCapacity: true)
            let stop = stopRequested
            lock.unlock()

            if stop { isStopping = true }
            for task in tasks { task() }
            if stop { break }

            fireDueTimers()
            startWaiting()
            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            collectFinished()
            startWaiting()

            var timeout = 1_000
            if let next = timers.nextDeadline {
                timeout = max(0, min(timeout, next - MonotonicTime.milliseconds()))
            }
            // libcurl shortens the wait further when one of its own timeouts is due sooner.
            if curl_multi_poll(multi, nil, 0, Int32(timeout), nil) != CURLM_OK {
                usleep(10_000)  // not expected; keeps a broken handle from spinning the CPU
            }
        }
        cancelEverything()
        curl_multi_cleanup(multi)

        exited.lock()
        hasExited = true
        exited.broadcast()
        exited.unlock()
    }

    private func fireDueTimers() {
        let now = MonotonicTime.milliseconds()
        while let timer = timers.popDue(now: now) { timer.fire() }
    }

    private func startWaiting() {
        while running.count < maxInFlight, waitingHead < waiting.count {
            let transfer = waiting[waitingHead]
            waitingHead += 1
            if transfer.phase == .waiting { begin(transfer) }
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        } else if waitingHead > 1_024, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            // The message is invalid once the handle is removed: read it first.
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = running.removeValue(forKey: easy) else {
                curl_easy_cleanup(easy)
                continue
            }
            transfer.finish(transfer.outcome(for: code))
        }
    }

    private func cancelEverything() {
        let active = Array(running.values)
        running.removeAll()
        for transfer in active {
            if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
            transfer.finish(.cancelled)
        }
        let queued = waiting[waitingHead...]
        waiting.removeAll()
        waitingHead = 0
        for transfer in queued { transfer.finish(.cancelled) }
        // Cancel actions may schedule nothing new (`isStopping` turns that into a cancel), so one pass empties the heap.
        for timer in timers.removeAll() { timer.cancel() }
    }
}
