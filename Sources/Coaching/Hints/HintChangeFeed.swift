import MariaDB

/// Which agents' pending hints may have changed since the last look, read from the tails of the
/// hints and hint-events tables (a new hint, a view, a rating or a used suggestion adds a row to
/// one of them). Each look reads the rows above a floor that trails the highest id by `lookback`,
/// so a row whose id was taken before a neighbour's but committed after it is still noticed.
struct HintChangeFeed {
    enum Changes: Equatable {
        case none
        case agents(Set<Int>)
        case everything
    }

    /// Ids below the newest that are looked at again (commits out of id order).
    static let lookback = 64
    /// More new rows than this in one look: every answer is treated as changed.
    static let batchLimit = 5_000

    private struct Tail {
        var floor: Int?
        var seen: Set<Int> = []
    }

    private var hints = Tail()
    private var events = Tail()

    mutating func poll(_ connection: MariaDBConnection) throws -> Changes {
        let fromHints = try Self.poll(&hints, connection: connection,
                                      newest: "SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_hints", rows: """
            SELECT id, agent_id FROM realtime_coaching_hints WHERE id > ? ORDER BY id LIMIT ?
            """)
        let fromEvents = try Self.poll(&events, connection: connection,
                                       newest: "SELECT COALESCE(MAX(id), 0) FROM coaching_hint_events", rows: """
            SELECT e.id, h.agent_id FROM coaching_hint_events e
            JOIN realtime_coaching_hints h ON h.id = e.hint_id
            WHERE e.id > ? ORDER BY e.id LIMIT ?
            """)
        switch (fromHints, fromEvents) {
        case (.everything, _), (_, .everything): return .everything
        case (.agents(let a), .agents(let b)): return .agents(a.union(b))
        case (.agents(let a), .none), (.none, .agents(let a)): return .agents(a)
        case (.none, .none): return .none
        }
    }

    /// `rows` selects (id, agent id) above a floor, oldest first, at most a limit.
    private static func poll(_ tail: inout Tail, connection: MariaDBConnection, newest newestSQL: String,
                             rows rowsSQL: String) throws -> Changes {
        let floor: Int
        if let known = tail.floor {
            floor = known
        } else {
            // First look: nothing was known before, so everything counts as changed.
            floor = max((try connection.query(newestSQL).first?.int(0) ?? 0) - lookback, 0)
        }
        let rows = try connection.query(rowsSQL, [.int(floor), .int(batchLimit)])
        let newest = rows.last?.int(0) ?? floor
        var agents: Set<Int> = []
        for row in rows {
            guard let id = row.int(0), !tail.seen.contains(id) else { continue }
            agents.insert(row.int(1) ?? 0)
        }
        let nextFloor = max(floor, newest - lookback)
        tail.seen = Set(rows.compactMap { $0.int(0) }.filter { $0 > nextFloor })
        let firstLook = tail.floor == nil
        tail.floor = nextFloor
        if firstLook || rows.count >= batchLimit { return .everything }
        return agents.isEmpty ? .none : .agents(agents)
    }
}
