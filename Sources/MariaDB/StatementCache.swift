import CMariaDB

/// A connection's prepared statements by SQL text, at most `capacity` of them. MariaDB counts every
/// open prepared statement of every session against `max_prepared_stmt_count` (16,382 by default),
/// and SQL built with a variable number of placeholders (bulk intake, `IN (?, ?, …)`) yields a new
/// text per arity; unbounded, a few long-lived processes could exhaust the server's budget and
/// make every new prepare fail. The least recently used statement is closed to make room.
struct StatementCache {
    let capacity: Int
    private var entries: [String: (statement: UnsafeMutablePointer<MYSQL_STMT>, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    var count: Int { entries.count }

    mutating func statement(for sql: String) -> UnsafeMutablePointer<MYSQL_STMT>? {
        guard let entry = entries[sql] else { return nil }
        clock += 1
        entries[sql] = (entry.statement, clock)
        return entry.statement
    }

    /// Keeps a freshly prepared statement, closing the least recently used one when full.
    mutating func insert(_ statement: UnsafeMutablePointer<MYSQL_STMT>, for sql: String) {
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            mysql_stmt_close(oldest.value.statement)
            entries[oldest.key] = nil
        }
        clock += 1
        entries[sql] = (statement, clock)
    }

    /// Closes one statement (it failed and may be unusable).
    mutating func remove(_ sql: String) {
        if let entry = entries.removeValue(forKey: sql) { mysql_stmt_close(entry.statement) }
    }

    /// Closes every statement (the session is closing or was lost).
    mutating func removeAll() {
        for entry in entries.values { mysql_stmt_close(entry.statement) }
        entries.removeAll()
    }
}
