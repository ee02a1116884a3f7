import Foundation
import MariaDB

/// Answers repeated polls without a database query while nothing changed for the agent.
///
/// Agents poll every few seconds and almost every poll finds nothing new. The cache remembers each
/// (agent, conversation, window) answer with the *generation* it was read at. Whichever thread finds
/// the change feed older than `versionMaxAge` reads it (`HintChangeFeed`: the new rows of the hints
/// and hint-events tables) and marks only the agents whose hints changed, so a new hint for one
/// agent does not send every other agent's next poll to the database. This process's own writes
/// mark their agent at once; an answer is also never older than `entryMaxAge` (the bound for
/// writers outside this product). Hints that leave the time window are dropped at serve time.
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

    private struct Entry {
        let generation: Int
        let storedAt: Double
        let hints: [Hint]
        /// The answer last encoded from this entry and how many of its hints it showed. Hints only
        /// ever leave the `seconds` window as time passes, so the visible hints of one entry at any
        /// two moments are nested sets: the same count means the same hints.
        var encoded: (visibleCount: Int, variant: String, body: [UInt8])?

        static func isVisible(_ hint: Hint, since cutoff: Int, now epoch: Int) -> Bool {
            (hint.createdAtEpoch ?? epoch) >= cutoff
        }

        func visibleCount(since cutoff: Int, now epoch: Int) -> Int {
            var count = 0
            for hint in hints where Self.isVisible(hint, since: cutoff, now: epoch) { count += 1 }
            return count
        }
    }

    private let lock = NSLock()
    private var feed = HintChangeFeed()
    private var generation = 0
    /// The generation at which every answer, or one agent's answers, last changed.
    private var everythingChangedAt = 0
    private var agentChangedAt: [Int: Int] = [:]
    private var checkedAt = -Double.infinity
    private var refreshing = false
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
        let current = try currentGeneration(connection: connection, now: now)
        let epoch = Int(Date().timeIntervalSince1970)
        let cutoff = epoch - key.seconds
        lock.lock()
        if let cached = entries[key], cached.generation >= everythingChangedAt,
           cached.generation >= agentChangedAt[key.agentID] ?? 0, now - cached.storedAt < entryMaxAge {
            let visibleCount = cached.visibleCount(since: cutoff, now: epoch)
            if let encoded = cached.encoded, encoded.visibleCount == visibleCount, encoded.variant == variant {
                lock.unlock()
                return encoded.body
            }
            lock.unlock()
            let visible = cached.hints.filter { Entry.isVisible($0, since: cutoff, now: epoch) }
            return remember(encode(visible), visibleCount: visible.count, variant: variant, for: key, generation: current)
        }
        lock.unlock()
        let fresh = try load()
        lock.lock()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(generation: current, storedAt: now, hints: fresh, encoded: nil)
        lock.unlock()
        return remember(encode(fresh), visibleCount: fresh.count, variant: variant, for: key, generation: current)
    }

    private func remember(_ body: [UInt8], visibleCount: Int, variant: String, for key: Key, generation: Int) -> [UInt8] {
        lock.lock()
        if entries[key]?.generation == generation { entries[key]?.encoded = (visibleCount, variant, body) }
        lock.unlock()
        return body
    }

    /// Called after this process changed one of `agentID`'s hints (nil: any agent's), so its own
    /// next poll never sees the old state.
    public func noteLocalWrite(agentID: Int?) {
        lock.lock()
        generation += 1
        if let agentID { agentChangedAt[agentID] = generation } else { everythingChangedAt = generation }
        lock.unlock()
    }

    private func currentGeneration(connection: MariaDBConnection, now: Double) throws -> Int {
        lock.lock()
        if now - checkedAt < versionMaxAge || refreshing {
            let value = generation
            lock.unlock()
            return value
        }
        refreshing = true
        var reader = feed
        lock.unlock()
        let changes: HintChangeFeed.Changes
        do {
            changes = try reader.poll(connection)
        } catch {
            lock.lock()
            refreshing = false
            lock.unlock()
            throw error
        }
        lock.lock()
        feed = reader
        if changes != .none { generation += 1 }
        switch changes {
        case .none: break
        case .everything:
            everythingChangedAt = generation
            agentChangedAt.removeAll(keepingCapacity: true)
        case .agents(let agents):
            for agent in agents { agentChangedAt[agent] = generation }
        }
        checkedAt = now
        refreshing = false
        let value = generation
        lock.unlock()
        return value
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
