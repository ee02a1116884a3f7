import MariaDB

/// The doors into the queue. Whatever door a message comes through, `coaching_message_intake`'s
/// primary key lets it in once; enqueueing is one short transaction and never waits on analysis.
public struct MessageIntake {
    public enum Door: String, Sendable { case listener, api, watch }

    public struct Accepted: Sendable, Equatable {
        public let messageID: Int
        public let queueID: Int?
        /// False when the message was already queued through some door.
        public let queued: Bool
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Queues an existing message once. `delay` is the debounce (`queue_processing_delay`).
    public func enqueue(messageID: Int, conversationID: Int, agentID: Int, door: Door, delay: Double) throws -> Accepted {
        try connection.transaction {
            let existing = try connection.query(
                "SELECT queue_id FROM coaching_message_intake WHERE message_id = ? FOR UPDATE", [.int(messageID)])
            if let row = existing.first {
                return Accepted(messageID: messageID, queueID: row.int(0), queued: false)
            }
            let inserted = try connection.execute("""
                INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, source, enqueued_at, available_at)
                VALUES (?, ?, ?, 'pending', ?, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)
                """, [.int(messageID), .int(conversationID), .int(agentID), .text(door.rawValue),
                      .int(Int(delay * 1_000_000))])
            try connection.execute("INSERT INTO coaching_message_intake (message_id, queue_id) VALUES (?, ?)",
                                   [.int(messageID), .int(inserted.lastInsertID)])
            return Accepted(messageID: messageID, queueID: inserted.lastInsertID, queued: true)
        }
    }

    /// The listener door: the original PHP listener inserts queue rows directly, without an intake
    /// row. The first worker to claim such a row registers it; returns the queue row that owns the
    /// message when it is another one (the message came through another door first).
    public func registerListenerRow(queueID: Int, messageID: Int) throws -> Int? {
        try connection.execute("INSERT IGNORE INTO coaching_message_intake (message_id, queue_id) VALUES (?, ?)",
                               [.int(messageID), .int(queueID)])
        let owner = try connection.query("SELECT queue_id FROM coaching_message_intake WHERE message_id = ?",
                                         [.int(messageID)]).first?.int(0)
        return owner == queueID ? nil : owner
    }

    /// The API door for a whole request: every message in one transaction and a handful of
    /// set-based statements (plus one INSERT per new message), instead of a transaction and five
    /// statements per message. Conversations and existing messages are looked up in bulk; claims
    /// go through `coaching_message_intake` exactly as for the other doors, so a message any door
    /// already took is reported, not queued again. Results come back in input order.
    public func accept(_ messages: [IncomingMessage], delay: Double) throws -> [IntakeResult] {
        guard !messages.isEmpty else { return [] }
        return try connection.transaction {
            let conversations = try lookUp("""
                SELECT STRAIGHT_JOIN c.id, c.agent_id FROM JSON_TABLE(?, '$[*]' COLUMNS (id INT PATH '$')) AS j
                JOIN conversations c FORCE INDEX (PRIMARY) ON c.id = j.id
                """, ids: Set(messages.map(\.conversationID)))
            var existingIDs = Set<Int>()
            for message in messages { if case .existing(let id) = message.body { existingIDs.insert(id) } }
            let existing = try lookUp("""
                SELECT STRAIGHT_JOIN m.id, m.conversation_id, m.sender_type
                FROM JSON_TABLE(?, '$[*]' COLUMNS (id INT PATH '$')) AS j
                JOIN messages m FORCE INDEX (PRIMARY) ON m.id = j.id
                """, ids: existingIDs)

            var results: [IntakeResult?] = Array(repeating: nil, count: messages.count)
            var claims: [(index: Int, messageID: Int, agentID: Int)] = []
            let fresh = messages.indices.filter { index in
                guard conversations[messages[index].conversationID] != nil else { return false }
                if case .new = messages[index].body { return true }
                return false
            }
            let storedIDs = try storeMessages(fresh.map { messages[$0] })
            let storedID = Dictionary(uniqueKeysWithValues: zip(fresh, storedIDs))
            for (index, message) in messages.enumerated() {
                guard let conversation = conversations[message.conversationID] else {
                    results[index] = .conversationNotFound(message.conversationID)
                    continue
                }
                let agentID = message.agentID ?? conversation.int(1) ?? 0
                switch message.body {
                case .existing(let messageID):
                    guard let row = existing[messageID] else {
                        results[index] = .messageNotFound(messageID)
                        continue
                    }
                    guard row.int(1) == message.conversationID else {
                        results[index] = .messageInOtherConversation(messageID: messageID)
                        continue
                    }
                    if row.string(2) == "contact" {
                        claims.append((index, messageID, agentID))
                    } else {
                        results[index] = .notAnalysed(messageID: messageID)
                    }
                case .new(let senderType, _, _, _, _):
                    let messageID = storedID[index] ?? 0
                    if senderType == "contact" {
                        claims.append((index, messageID, agentID))
                    } else {
                        results[index] = .notAnalysed(messageID: messageID)
                    }
                }
            }
            if !claims.isEmpty {
                let owners = try claim(claims.map { ($0.messageID, $0.agentID) }, delay: delay)
                var reported = Set<Int>()
                for entry in claims {
                    let owner = owners[entry.messageID] ?? (queueID: 0, claimedNow: false)
                    let first = reported.insert(entry.messageID).inserted
                    results[entry.index] = .queued(messageID: entry.messageID, queueID: owner.queueID,
                                                   queued: owner.claimedNow && first)
                }
            }
            return results.map { $0! }
        }
    }

    /// Claims intake rows for the messages no door has taken yet, queues those, and returns every
    /// message's queue row and whether this call queued it.
    ///
    /// Every join starts from the request's JSON list and reaches the tables by primary key or
    /// `idx_cq_message` (`STRAIGHT_JOIN`, `FORCE INDEX`): the optimizer cannot see how many rows a
    /// JSON_TABLE has, and with stale statistics it would otherwise scan a whole table per request.
    private func claim(_ messages: [(messageID: Int, agentID: Int)], delay: Double) throws
        -> [Int: (queueID: Int, claimedNow: Bool)] {
        let list = "[" + messages.map { "[\($0.messageID),\($0.agentID)]" }.joined(separator: ",") + "]"
        let columns = "COLUMNS (ord FOR ORDINALITY, message_id INT PATH '$[0]', agent_id INT PATH '$[1]')"
        try connection.execute("""
            INSERT IGNORE INTO coaching_message_intake (message_id, queue_id)
            SELECT j.message_id, 0 FROM JSON_TABLE(?, '$[*]' \(columns)) AS j
            """, [.text(list)])
        let queued = try connection.execute("""
            INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, source, enqueued_at, available_at)
            SELECT STRAIGHT_JOIN m.id, m.conversation_id, MIN(j.agent_id), 'pending', ?, NOW(3),
                   NOW(3) + INTERVAL ? MICROSECOND
            FROM JSON_TABLE(?, '$[*]' \(columns)) AS j
            JOIN coaching_message_intake i FORCE INDEX (PRIMARY) ON i.message_id = j.message_id AND i.queue_id = 0
            JOIN messages m FORCE INDEX (PRIMARY) ON m.id = j.message_id
            GROUP BY m.id, m.conversation_id
            ORDER BY MIN(j.ord)
            """, [.text(Door.api.rawValue), .int(Int(delay * 1_000_000)), .text(list)])
        if queued.affectedRows > 0 {
            try connection.execute("""
                UPDATE JSON_TABLE(?, '$[*]' \(columns)) AS j
                STRAIGHT_JOIN coaching_message_intake i FORCE INDEX (PRIMARY) ON i.message_id = j.message_id
                STRAIGHT_JOIN coaching_queue q FORCE INDEX (idx_cq_message)
                    ON q.message_id = i.message_id AND q.id >= ? AND q.source = ?
                SET i.queue_id = q.id
                WHERE i.queue_id = 0
                """, [.text(list), .int(queued.lastInsertID), .text(Door.api.rawValue)])
        }
        let rows = try connection.query("""
            SELECT STRAIGHT_JOIN i.message_id, i.queue_id FROM JSON_TABLE(?, '$[*]' \(columns)) AS j
            JOIN coaching_message_intake i FORCE INDEX (PRIMARY) ON i.message_id = j.message_id
            """, [.text(list)])
        var owners: [Int: (queueID: Int, claimedNow: Bool)] = [:]
        for row in rows {
            guard let messageID = row.int(0), let queueID = row.int(1) else { continue }
            owners[messageID] = (queueID, queueID >= queued.lastInsertID && queued.affectedRows > 0)
        }
        return owners
    }

    /// Stores new messages with one multi-row INSERT per 500 and returns their ids in order. InnoDB
    /// gives the rows of one such statement consecutive ids (`auto_increment_increment` apart)
    /// unless `innodb_autoinc_lock_mode` is 2 (interleaved); there, one INSERT per message is the
    /// only way to learn each id.
    private func storeMessages(_ messages: [IncomingMessage]) throws -> [Int] {
        guard !messages.isEmpty else { return [] }
        let modes = try connection.query("SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment").first
        let interleaved = modes?.int(0) == 2
        let step = max(modes?.int(1) ?? 1, 1)
        var ids: [Int] = []
        ids.reserveCapacity(messages.count)
        for start in stride(from: 0, to: messages.count, by: interleaved ? 1 : 500) {
            let chunk = messages[start..<min(start + (interleaved ? 1 : 500), messages.count)]
            var parameters: [SQLValue] = []
            parameters.reserveCapacity(chunk.count * 6)
            for message in chunk {
                guard case .new(let senderType, let senderID, let content, let messageType, let createdAt) = message.body
                else { continue }
                parameters += [.int(message.conversationID), .text(senderType), .optional(senderID), .text(content),
                               .text(messageType), .optional(createdAt)]
            }
            let rows = Array(repeating: "(?, ?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP))", count: chunk.count)
            let first = try connection.execute("""
                INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type, created_at)
                VALUES \(rows.joined(separator: ", "))
                """, parameters).lastInsertID
            ids += (0..<chunk.count).map { first + $0 * step }
        }
        return ids
    }

    private func lookUp(_ sql: String, ids: Set<Int>) throws -> [Int: SQLRow] {
        guard !ids.isEmpty else { return [:] }
        let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
        var rows: [Int: SQLRow] = [:]
        for row in try connection.query(sql, [.text(list)]) {
            if let id = row.int(0) { rows[id] = row }
        }
        return rows
    }

    /// Stores a new message for a conversation (the API door without `message_id`) and returns its id.
    public func storeMessage(conversationID: Int, senderType: String, senderID: Int?, content: String,
                             messageType: String, createdAt: String?) throws -> Int {
        if let createdAt {
            return try connection.execute("""
                INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [.int(conversationID), .text(senderType), .optional(senderID), .text(content), .text(messageType),
                      .text(createdAt)]).lastInsertID
        }
        return try connection.execute("""
            INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type)
            VALUES (?, ?, ?, ?, ?)
            """, [.int(conversationID), .text(senderType), .optional(senderID), .text(content), .text(messageType)]).lastInsertID
    }

    /// Door 3: customer messages newer than the persisted cursor, queued in id order. The cursor
    /// moves in the same transaction as the intake rows, so a crash repeats nothing and skips nothing;
    /// its row lock lets one process at a time read a range.
    ///
    /// Ids are given out when a row is inserted but become visible when its transaction commits, so
    /// a message can appear below the cursor after the cursor has passed it. Each pass therefore
    /// also looks again at the last `lateCommitIDs` ids below the cursor that were created within
    /// `lateCommitSeconds`; the intake table's key makes the second look queue only what was missed.
    ///
    /// The range is queued with set-based statements, a few per batch rather than a few per message:
    /// the intake rows are claimed first (`INSERT IGNORE`, so a message another door already took is
    /// skipped, and a door racing for one waits on this transaction's row lock), then one queue row
    /// per claimed message, then the claims are pointed at their queue rows. A message the original
    /// listener already queued (its row is registered only when a worker claims it) is claimed for
    /// that row, so running both doors, as a fresh install does, never queues a message twice.
    /// Returns how many new `messages` rows were read (a full batch means more may be waiting).
    @discardableResult
    public func watchMessagesTable(batch: Int, delay: Double) throws -> Int {
        try connection.transaction {
            try connection.execute("INSERT IGNORE INTO coaching_cursors (name, position) VALUES ('messages', 0)")
            let cursor = try connection.query(
                "SELECT position FROM coaching_cursors WHERE name = 'messages' FOR UPDATE").first?.int(0) ?? 0
            let range = try connection.query("""
                SELECT COUNT(*), MAX(id) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?) AS batch
                """, [.int(cursor), .int(batch)]).first
            let read = range?.int(0) ?? 0
            let last = read > 0 ? range?.int(1) ?? cursor : cursor
            let from = max(0, cursor - Self.lateCommitIDs)
            let claimed = try connection.execute("""
                INSERT IGNORE INTO coaching_message_intake (message_id, queue_id)
                SELECT m.id, COALESCE((SELECT MIN(q.id) FROM coaching_queue q WHERE q.message_id = m.id), 0)
                FROM messages m
                WHERE m.id > ? AND m.id <= ? AND m.sender_type = 'contact'
                  AND (m.id > ? OR m.created_at >= NOW() - INTERVAL ? SECOND)
                """, [.int(from), .int(last), .int(cursor), .int(Self.lateCommitSeconds)]).affectedRows
            if claimed > 0 {
                let queued = try connection.execute("""
                    INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, source, enqueued_at, available_at)
                    SELECT m.id, m.conversation_id, COALESCE(c.agent_id, 0), 'pending', ?, NOW(3),
                           NOW(3) + INTERVAL ? MICROSECOND
                    FROM coaching_message_intake i
                    JOIN messages m ON m.id = i.message_id
                    LEFT JOIN conversations c ON c.id = m.conversation_id
                    WHERE i.message_id > ? AND i.message_id <= ? AND i.queue_id = 0
                    ORDER BY m.id
                    """, [.text(Door.watch.rawValue), .int(Int(delay * 1_000_000)), .int(from), .int(last)])
                try connection.execute("""
                    UPDATE coaching_message_intake i
                    JOIN coaching_queue q ON q.message_id = i.message_id AND q.id >= ? AND q.source = ?
                    SET i.queue_id = q.id
                    WHERE i.message_id > ? AND i.message_id <= ? AND i.queue_id = 0
                    """, [.int(queued.lastInsertID), .text(Door.watch.rawValue), .int(from), .int(last)])
            }
            if read > 0 {
                try connection.execute("UPDATE coaching_cursors SET position = ? WHERE name = 'messages'", [.int(last)])
            }
            return read
        }
    }

    /// How far below the cursor, in ids and in age, each pass looks for rows committed late.
    static let lateCommitIDs = 1000
    static let lateCommitSeconds = 30

    /// Starts the watcher at the current end of the table, so enabling it does not replay history.
    public func initialiseWatchCursorAtEnd() throws {
        try connection.execute("""
            INSERT IGNORE INTO coaching_cursors (name, position)
            SELECT 'messages', COALESCE(MAX(id), 0) FROM messages
            """)
    }
}
