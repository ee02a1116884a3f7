import MariaDB
import JSON

/// What the pipeline did, for the admin stats page: hints per type, the outcome of every message
/// finished in the period (SPEC §4.2), the share answered from the cache, analyses per minute over
/// the last hour, and the queue right now. All counted in SQL over indexed ranges
/// (`idx_cq_finished`, `idx_cq_claim`, the hints' `created_at`); only grouped rows reach the service.
public struct ActivityReport {
    /// Outcomes where an analyser (or the cache) answered or was tried: every outcome except the
    /// filtered, merged and duplicate messages, which never reached one.
    public static let analysedOutcomes = ["hint", "cached", "no_hint", "budget", "failed"]

    public struct Activity: Sendable, Equatable {
        public var period: StatsPeriod
        public var hintsByType: [CoachingStats.TypeRow]
        /// Outcome → messages, most frequent first.
        public var outcomes: [(outcome: String, messages: Int)]
        /// The last 60 minutes, oldest first, each labelled `YYYY-MM-DD HH:MM` in the session's zone.
        public var analysesPerMinute: [(minute: String, analyses: Int)]
        public var pending: Int
        public var processing: Int

        public static func == (lhs: Activity, rhs: Activity) -> Bool {
            lhs.period == rhs.period && lhs.hintsByType == rhs.hintsByType && lhs.pending == rhs.pending
                && lhs.processing == rhs.processing
                && lhs.outcomes.elementsEqual(rhs.outcomes, by: { $0 == $1 })
                && lhs.analysesPerMinute.elementsEqual(rhs.analysesPerMinute, by: { $0 == $1 })
        }

        /// Cache hits over the analysed messages that could have been one (`hint`, `no_hint`,
        /// `cached`); nil when there were none.
        public var cacheHitRate: (hits: Int, lookups: Int, rate: Double?) {
            let count = { (name: String) in outcomes.first(where: { $0.outcome == name })?.messages ?? 0 }
            let hits = count("cached")
            let lookups = hits + count("hint") + count("no_hint")
            return (hits, lookups, lookups > 0 ? Double(hits) / Double(lookups) : nil)
        }
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    public func compute(period: StatsPeriod) throws -> Activity {
        let (_, types) = try CoachingStats(connection: connection).compute(agentID: nil, period: period)
        let outcomes = try connection.query("""
            SELECT outcome, COUNT(*) FROM coaching_queue
            WHERE finished_at >= NOW(3) - INTERVAL ? SECOND AND outcome IS NOT NULL
            GROUP BY outcome
            ORDER BY COUNT(*) DESC, outcome
            """, [.int(period.seconds)]).map { (outcome: $0.string(0) ?? "", messages: $0.int(1) ?? 0) }
        let queue = try connection.query("""
            SELECT status, COUNT(*) FROM coaching_queue WHERE status IN ('pending', 'processing') GROUP BY status
            """)
        let queued = { (status: String) in queue.first(where: { $0.string(0) == status })?.int(1) ?? 0 }
        return Activity(period: period, hintsByType: types, outcomes: outcomes,
                        analysesPerMinute: try analysesPerMinute(), pending: queued("pending"),
                        processing: queued("processing"))
    }

    /// Minutes with no analysis are listed with 0, so a chart of the hour has no gaps.
    private func analysesPerMinute() throws -> [(minute: String, analyses: Int)] {
        guard let clock = try connection.query(
            "SELECT UNIX_TIMESTAMP() DIV 60, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())").first,
              let nowMinute = clock.int(0) else { return [] }
        let offsetSeconds = clock.int(1) ?? 0
        let firstMinute = nowMinute - 59
        let placeholders = Self.analysedOutcomes.map { _ in "?" }.joined(separator: ", ")
        let rows = try connection.query("""
            SELECT UNIX_TIMESTAMP(finished_at) DIV 60, COUNT(*) FROM coaching_queue
            WHERE finished_at >= FROM_UNIXTIME(?) AND outcome IN (\(placeholders))
            GROUP BY 1
            """, [.int(firstMinute * 60)] + Self.analysedOutcomes.map { .text($0) })
        var counts: [Int: Int] = [:]
        for row in rows {
            if let minute = row.int(0) { counts[minute] = row.int(1) ?? 0 }
        }
        return (firstMinute...nowMinute).map { minute in
            (Self.label(epochSeconds: minute * 60 + offsetSeconds), counts[minute] ?? 0)
        }
    }

    /// `YYYY-MM-DD HH:MM` of a moment already shifted into the session's zone (days from the epoch
    /// to a civil date, as in Howard Hinnant's `civil_from_days`), without Foundation's calendars.
    static func label(epochSeconds: Int) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = epochSeconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60))"
    }
}

extension ActivityReport.Activity {
    /// `language` names the hint types' labels.
    public func json(language: String) -> JSONValue {
        let cache = cacheHitRate
        return .object([
            ("period", .string(period.rawValue)),
            ("hints_by_type", .array(hintsByType.map { $0.json(language: language) })),
            ("outcomes", .array(outcomes.map { .object([("outcome", .string($0.outcome)), ("messages", .int($0.messages))]) })),
            ("cache", .object([
                ("hits", .int(cache.hits)),
                ("lookups", .int(cache.lookups)),
                ("hit_rate", cache.rate.map { .double($0) } ?? .null),
            ])),
            ("analyses_per_minute", .array(analysesPerMinute.map {
                .object([("minute", .string($0.minute)), ("analyses", .int($0.analyses))])
            })),
            ("queue", .object([("pending", .int(pending)), ("processing", .int(processing))])),
        ])
    }
}
