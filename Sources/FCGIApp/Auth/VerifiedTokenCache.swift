import Coaching
import Foundation

/// Tokens already verified by this process, so that a polling agent's token is checked once rather
/// than on every request. Expiry is still enforced on every hit; the cache is bounded and simply
/// emptied when full.
final class VerifiedTokenCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (principal: Principal, expiresAt: Double)] = [:]
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func principal(for token: String, now: Double) -> Principal? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[token] else { return nil }
        guard entry.expiresAt > now else {
            entries[token] = nil
            return nil
        }
        return entry.principal
    }

    func store(_ principal: Principal, for token: String, expiresAt: Double) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[token] = (principal, expiresAt)
    }
}
