import Synchronization

/// The embeddings this process fetched lately, by server, model and text, so that a message
/// embedded while it waited out its debounce (`EmbeddingPrefetch`) is not embedded again when it is
/// analysed. Bounded (oldest out first); shared by the worker threads under one lock.
final class EmbeddingMemo: Sendable {
    struct Key: Hashable, Sendable {
        let endpoint: String
        let model: String
        let text: String
    }

    private struct State {
        var entries: [Key: (Embedding, String)] = [:]
        var order: [Key] = []
        var start = 0
        /// The highest queue id whose text a prefetch already looked at.
        var prefetchedThrough = 0
        var prefetching = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func value(_ key: Key) -> (Embedding, String)? {
        state.withLock { $0.entries[key] }
    }

    func store(_ key: Key, _ value: (Embedding, String)) {
        state.withLock { state in
            if state.entries.updateValue(value, forKey: key) != nil { return }
            state.order.append(key)
            if state.order.count - state.start > capacity {
                state.entries[state.order[state.start]] = nil
                state.start += 1
                if state.start > capacity {
                    state.order.removeFirst(state.start)
                    state.start = 0
                }
            }
        }
    }

    /// Claims the prefetch turn (one thread at a time); returns the queue id to continue after.
    func beginPrefetch() -> Int? {
        state.withLock { state in
            if state.prefetching { return nil }
            state.prefetching = true
            return state.prefetchedThrough
        }
    }

    func endPrefetch(through id: Int) {
        state.withLock { state in
            state.prefetching = false
            state.prefetchedThrough = max(state.prefetchedThrough, id)
        }
    }
}
