import Synchronization

/// Connections from nginx held open by the process, bounded by its descriptor budget: a slot is
/// taken before `accept` and given back when the connection closes, so a burst of new connections
/// waits in the listen backlog instead of taking descriptors the database and LLM connections need.
final class ConnectionCount: Sendable {
    let limit: Int
    private let count = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = max(limit, 1)
    }

    /// Takes a slot; false when every slot is taken.
    func open() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func closed() {
        count.subtract(1, ordering: .acquiringAndReleasing)
    }

    var current: Int { count.load(ordering: .relaxed) }
}
