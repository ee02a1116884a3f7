import Foundation
import MariaDB

/// The once-a-second chores of a worker process, run by its first thread: the heartbeat the health
/// report reads, lease extension for jobs whose LLM call is still running, the messages-table
/// watcher (intake door 3), settling reservations whose call was abandoned, and the cache purge.
struct WorkerHousekeeping {
    let workerID: String
    let leaseSeconds: Int
    let settingsProvider: SettingsProvider
    let inbox: WorkerInbox
    let clients: LLMClientHolder
    let local: LocalAnalysisRunner

    func run(_ connection: MariaDBConnection) throws {
        let settings = try settingsProvider.current(using: connection)
        let running = inbox.inFlightIDs
        try connection.execute("""
            INSERT INTO coaching_workers (worker_id, host, pid, heartbeat_at, in_flight, circuit, embeddings)
            VALUES (?, ?, ?, NOW(3), ?, ?, ?)
            ON DUPLICATE KEY UPDATE heartbeat_at = NOW(3), in_flight = VALUES(in_flight), circuit = VALUES(circuit),
                embeddings = VALUES(embeddings)
            """, [.text(workerID), .text(ProcessInfo.processInfo.hostName),
                  .int(Int(ProcessInfo.processInfo.processIdentifier)), .int(running.count), .text(clients.circuitState),
                  .text(local.status(settings: settings))])
        if !running.isEmpty {
            try QueueClaim(connection: connection, workerID: workerID).extendLeases(running, leaseSeconds: leaseSeconds)
        }
        if settings.service.watchMessagesTable, settings.coaching.enabled {
            let intake = MessageIntake(connection: connection)
            try intake.initialiseWatchCursorAtEnd()
            // Keep reading while batches come back full, so a burst is queued within this second.
            for _ in 0..<20 {
                let read = try intake.watchMessagesTable(batch: 1000, delay: settings.coaching.queueProcessingDelay)
                if read < 1000 { break }
            }
        }
        let abandonAfter = settings.service.totalTimeoutMilliseconds / 1000 * settings.service.maxAttempts + leaseSeconds
        _ = try CostLedger(connection: connection).settleAbandoned(olderThanSeconds: abandonAfter)
        try HintCache(connection: connection).purgeExpired()
    }
}
