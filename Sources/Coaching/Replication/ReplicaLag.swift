import MariaDB

/// How far a read replica is behind its primary, read on the replica from rows the primary rewrites
/// every second: the workers' heartbeats. It needs no replication privilege (the replica's account
/// may be read-only) and works the same through a chain of replicas or a managed service.
///
/// The figure is an upper bound, up to one heartbeat period above the true lag; with no worker
/// running anywhere it grows without limit, which sends reads back to the primary (the safe side).
public enum ReplicaLag {
    /// Seconds since the newest heartbeat the replica holds was written, or nil when it holds none.
    public static func read(_ connection: MariaDBConnection) throws -> Double? {
        let row = try connection.query(
            "SELECT TIMESTAMPDIFF(MICROSECOND, MAX(heartbeat_at), NOW(3)) FROM coaching_workers").first
        return row?.int(0).map { max(0, Double($0) / 1_000_000) }
    }
}
