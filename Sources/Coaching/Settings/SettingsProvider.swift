import Logging
import MariaDB
import Synchronization

/// The process-wide view of the settings, at most `maxAge` old (the SPEC allows 2 s; the original
/// cached for 5 minutes). Whichever thread finds the copy stale refreshes it with its own connection;
/// the others keep reading the previous copy meanwhile. If the database cannot be read, the last good
/// copy keeps serving.
public final class SettingsProvider: Sendable {
    private struct State {
        var snapshot: SettingsSnapshot?
        var loadedAt: ContinuousClock.Instant?
        var refreshing = false
    }

    private let state = Mutex(State())
    private let maxAge: Duration
    private let logger: Logger

    public init(maxAge: Duration = .seconds(1), logger: Logger = Logger(label: "coaching.settings")) {
        self.maxAge = maxAge
        self.logger = logger
    }

    public func current(using connection: MariaDBConnection) throws -> SettingsSnapshot {
        let now = ContinuousClock.now
        let (fresh, previous): (SettingsSnapshot?, SettingsSnapshot?) = state.withLock { state in
            if let snapshot = state.snapshot, let loadedAt = state.loadedAt, now - loadedAt < maxAge || state.refreshing {
                return (snapshot, nil)
            }
            state.refreshing = true
            return (nil, state.snapshot)
        }
        if let fresh { return fresh }

        do {
            let loaded = try SettingsStore(connection: connection).load()
            state.withLock { state in
                state.snapshot = loaded
                state.loadedAt = ContinuousClock.now
                state.refreshing = false
            }
            return loaded
        } catch {
            state.withLock { $0.refreshing = false }
            if let previous {
                logger.warning("settings refresh failed; serving the previous copy", metadata: ["error": "\(error)"])
                return previous
            }
            throw error
        }
    }

    /// Forces the next read to go to the database (after this process saved new settings).
    public func invalidate() {
        state.withLock { $0.loadedAt = nil }
    }
}
