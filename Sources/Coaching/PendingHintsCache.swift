import Foundation
import MariaDB

/// Answers repeated polls without a database query while nothing changed.
///
/// Agents poll every few seconds and almost every poll finds nothing new. The cache remembers each
/// (agent, conversation, window) answer together with the hints table's *version*: the highest hint
/// id and hint-event id (a new hint, a view, a rating or a used suggestion moves one of them) plus
/// this process's own writes. The version is read at most every `versionMaxAge` by whichever thread
/// finds it stale, so another process's change is seen within that time; an answer is also never
/// older than `entryMaxAge`. Hints that leave the time window are dropped at serve time.
public final class PendingHintsCache: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        public let agentID: Int
        public let conversationID: Int
        public let seconds: Int

        public init(agentID: Int, conversationID: Int, seconds: Int) {
            self.agentID = agentID
            self.conversationID = conversationID
            self.seconds = seconds
        }
    }

    struct Version: Equatable {
        var maxHintID = -1
        var maxEventID = -1
        var localWrites = 0
    }

    private struct Entry {
        let version: Version
        let storedAt: Double
        let hints: [Hint]
        /// The answer last encoded from this entry and how many of its hints it showed. Hints only
        /// ever leave the `seconds` window as time passes, so the visible hints of one entry at any
        /// two moments are nested sets: the same count means the same hints.
        var encoded: (visibleCount: Int, variant: String, body: [UInt8])?

        func visible(since cutoff: Int, now epoch: Int) -> Int {
            var count = 0
            for hint in hints where (hint.createdAtEpoch ?? epoch) >= cutoff { count += 1 }
            return count
        }
    }

    private let lock = NSLock()
    private var version = Version()
    private var versionCheckedAt = -Double.infinity
    private var refreshing = false
    private var localWrites = 0
    private var entries: [Key: Entry] = [:]
    private let versionMaxAge: Double
    private let entryMaxAge: Double
    private let capacity: Int

    public init(versionMaxAge: Double = 0.05, entryMaxAge: Double = 30, capacity: Int = 100_000) {
        self.versionMaxAge = versionMaxAge
        self.entryMaxAge = entryMaxAge
        self.capacity = capacity
    }

    /// The encoded pending-hints answer for `key`, from the cache when still valid, else from
    /// `load`. `encode` runs only when the visible hints (or `variant`, what else shapes the answer,
    /// such as the labels' language) differ from the last answer encoded for the same cache entry,
    /// so steady polling neither queries nor builds JSON.
    public func answer(for key: Key, variant: String, connection: MariaDBConnection, load: () throws -> [Hint],
                       encode: ([Hint]) -> [UInt8]) throws -> [UInt8] {
        let now = Self.monotonicSeconds()
        let current = try currentVersion(connection: connection, now: now)
        let epoch = Int(Date().timeIntervalSince1970)
        let cutoff = epoch - key.seconds
        lock.lock()
        if let cached = entries[key], cached.version == current, now - cached.storedAt < entryMaxAge {
            let visibleCount = cached.visible(since: cutoff, now: epoch)
            if let encoded = cached.encoded, encoded.visibleCount == visibleCount, encoded.variant == variant {
                lock.unlock()
                return encoded.body
            }
            lock.unlock()
            let visible = cached.hints.filter { ($0.createdAtEpoch ?? epoch) >= cutoff }
            return remember(encode(visible), visibleCount: visible.count, variant: variant, for: key, version: current)
        }
        lock.unlock()
        let fresh = try load()
        lock.lock()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(version: current, storedAt: now, hints: fresh, encoded: nil)
        lock.unlock()
        return remember(encode(fresh), visibleCount: fresh.count, variant: variant, for: key, version: current)
    }

    private func remember(_ body: [UInt8], visibleCount: Int, variant: String, for key: Key, version: Version) -> [UInt8] {
        lock.lock()
        if entries[key]?.version == version { entries[key]?.encoded = (visibleCount, variant, body) }
        lock.unlock()
        return body
    }

    /// Called after this process changed a hint, so its own next poll never sees the old state.
    public func noteLocalWrite() {
        lock.lock()
        localWrites += 1
        version.localWrites = localWrites
        lock.unlock()
    }

    private func currentVersion(connection: MariaDBConnection, now: Double) throws -> Version {
        lock.lock()
        if now - versionCheckedAt < versionMaxAge || refreshing {
            let value = version
            lock.unlock()
            return value
        }
        refreshing = true
        lock.unlock()
        do {
            let row = try connection.query("""
                SELECT (SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_hints),
                       (SELECT COALESCE(MAX(id), 0) FROM coaching_hint_events)
                """).first
            lock.lock()
            version.maxHintID = row?.int(0) ?? 0
            version.maxEventID = row?.int(1) ?? 0
            version.localWrites = localWrites
            versionCheckedAt = now
            refreshing = false
            let value = version
            lock.unlock()
            return value
        } catch {
            lock.lock()
            refreshing = false
            lock.unlock()
            throw error
        }
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
