import Coaching
import Synchronization

/// Tokens already verified by this process, so that a polling agent's token is checked once rather
/// than on every request. Expiry is still enforced on every hit; the cache is bounded and simply
/// emptied when full.
final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: (principal: Principal, expiresAt: Double)]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func principal(for token: String, now: Double) -> Principal? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard entry.expiresAt > now else {
                entries[token] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, for token: String, expiresAt: Double) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = (principal, expiresAt)
        }
    }
}
