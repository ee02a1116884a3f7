import Coaching
import Foundation
import Logging
import MariaDB
import Metrics

/// One request thread's way to the MariaDB read replica, for reads that tolerate replication lag.
///
/// Polls are most of the traffic and only read, so with a replica configured they leave the
/// primary to the writes. A replica is used only while it answers and its lag (`ReplicaLag`,
/// checked at most once a second) is within `maxLag`; otherwise reads go to the primary, and a
/// failed replica is tried again after `retryAfter`. Owned by one thread: no locks.
final class ReadReplica {
    enum State: String, Sendable {
        case ok
        case lagging
        case unreachable
    }

    private let configuration: MariaDBConfiguration
    private let maxLag: Double
    private let retryAfter: Duration
    private let logger: Logger
    private var connection: MariaDBConnection?
    private var checkedAt: ContinuousClock.Instant?
    private var retryAt: ContinuousClock.Instant?
    /// Nil until the first check.
    private(set) var state: State?
    private(set) var lagSeconds: Double?
    private let replicaReads = Counter(label: "coaching_poll_reads_total", dimensions: [("source", "replica")])
    private let primaryReads = Counter(label: "coaching_poll_reads_total", dimensions: [("source", "primary")])

    init(configuration: MariaDBConfiguration, maxLag: Double, retryAfter: Duration = .seconds(5), logger: Logger) {
        self.configuration = configuration
        self.maxLag = maxLag
        self.retryAfter = retryAfter
        self.logger = logger
    }

    /// Runs `onReplica` when the replica is usable, else (or when the replica fails it) `onPrimary`.
    func read<T>(onReplica: (MariaDBConnection) throws -> T, onPrimary: () throws -> T) throws -> T {
        if let replica = usableConnection(now: .now) {
            do {
                let result = try onReplica(replica)
                replicaReads.increment()
                return result
            } catch let error as MariaDBError {
                markFailed(error)
            }
        }
        let result = try onPrimary()
        primaryReads.increment()
        return result
    }

    /// The replica's state for the health report: checked afresh, except that a replica that
    /// failed is not tried again before `retryAfter` (a health check must not wait on a connect
    /// timeout each time a load balancer asks).
    func currentState() -> State {
        checkedAt = nil
        _ = usableConnection(now: .now)
        return state ?? .unreachable
    }

    private func usableConnection(now: ContinuousClock.Instant) -> MariaDBConnection? {
        if let checkedAt, now - checkedAt < .seconds(1) { return state == .ok ? connection : nil }
        if connection == nil, let retryAt, now < retryAt { return nil }
        checkedAt = now
        do {
            let replica = try connection ?? MariaDBConnection(configuration: configuration, logger: logger)
            connection = replica
            lagSeconds = try ReplicaLag.read(replica)
            let fresh = lagSeconds.map { $0 <= maxLag } ?? false
            if !fresh, state != .lagging {
                logger.warning("read replica behind; polls read the primary",
                               metadata: ["lag_seconds": "\(lagSeconds.map { String(format: "%.1f", $0) } ?? "unknown")"])
            }
            state = fresh ? .ok : .lagging
        } catch {
            markFailed(error)
        }
        return state == .ok ? connection : nil
    }

    private func markFailed(_ error: Error) {
        if state != .unreachable {
            logger.warning("read replica unavailable; polls read the primary", metadata: ["error": "\(error)"])
        }
        connection = nil
        lagSeconds = nil
        state = .unreachable
        retryAt = .now + retryAfter
    }
}
