import Foundation
import Logging
import MariaDB

/// The process-wide view of the settings, at most `maxAge` old (the SPEC allows 2 s; the original
/// cached for 5 minutes). Whichever thread finds the copy stale refreshes it with its own connection;
/// the others keep reading the previous copy meanwhile. If the database cannot be read, the last good
/// copy keeps serving.
public final class SettingsProvider: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot: SettingsSnapshot?
    private var loadedAt: ContinuousClock.Instant?
    private var refreshing = false
    private let maxAge: Duration
    private let logger: Logger

    public init(maxAge: Duration = .seconds(1), logger: Logger = Logger(label: "coaching.settings")) {
        self.maxAge = maxAge
        self.logger = logger
    }

    public func current(using connection: MariaDBConnection) throws -> SettingsSnapshot {
        let now = ContinuousClock.now
        lock.lock()
        if let snapshot, let loadedAt, now - loadedAt < maxAge || refreshing {
            lock.unlock()
            return snapshot
        }
        refreshing = true
        let previous = snapshot
        lock.unlock()

        do {
            let fresh = try SettingsStore(connection: connection).load()
            lock.lock()
            snapshot = fresh
            loadedAt = ContinuousClock.now
            refreshing = false
            lock.unlock()
            return fresh
        } catch {
            lock.lock()
            refreshing = false
            lock.unlock()
            if let previous {
                logger.warning("settings refresh failed; serving the previous copy", metadata: ["error": "\(error)"])
                return previous
            }
            throw error
        }
    }

    /// Forces the next read to go to the database (after this process saved new settings).
    public func invalidate() {
        lock.lock()
        loadedAt = nil
        lock.unlock()
    }
}
