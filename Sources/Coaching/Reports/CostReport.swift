import MariaDB
import JSON

/// Daily LLM spend by model and variant, read from the rollup `coaching_cost_daily` (one row per
/// day × model × variant, added to in the same transaction that settles each call, including calls
/// that produced no hint), so the cost page never scans the call ledger however many calls it holds.
public struct CostReport {
    public static let defaultDays = 30
    public static let maxDays = 366

    public struct Row: Sendable, Equatable {
        public var day: String
        public var model: String
        public var variant: String
        public var calls: Int
        public var promptTokens: Int
        public var completionTokens: Int
        public var cost: Double
    }

    /// The days covered (inclusive, in the database session's zone) and their rows, oldest first.
    public struct Daily: Sendable, Equatable {
        public var days: Int
        public var from: String
        public var to: String
        public var rows: [Row]
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// The last `days` days including today.
    public func daily(days: Int) throws -> Daily {
        let span = min(max(days, 1), Self.maxDays) - 1
        let bounds = try connection.query(
            "SELECT DATE_FORMAT(CURDATE() - INTERVAL ? DAY, '%Y-%m-%d'), DATE_FORMAT(CURDATE(), '%Y-%m-%d')", [.int(span)])
        let from = bounds.first?.string(0) ?? ""
        let rows = try connection.query("""
            SELECT DATE_FORMAT(day, '%Y-%m-%d'), model, variant, calls, prompt_tokens, completion_tokens, cost
            FROM coaching_cost_daily
            WHERE day >= ?
            ORDER BY day, model, variant
            """, [.text(from)]).map { row in
            Row(day: row.string(0) ?? "", model: row.string(1) ?? "", variant: row.string(2) ?? "",
                calls: row.int(3) ?? 0, promptTokens: row.int(4) ?? 0, completionTokens: row.int(5) ?? 0,
                cost: row.double(6) ?? 0)
        }
        return Daily(days: span + 1, from: from, to: bounds.first?.string(1) ?? "", rows: rows)
    }
}

extension CostReport.Daily {
    /// The rows, plus totals overall, per model and per variant (summed here: a few hundred rows at
    /// most, and one query keeps every figure on the page from the same read).
    public var json: JSONValue {
        func totals(_ key: (CostReport.Row) -> String, named name: String) -> JSONValue {
            var order: [String] = []
            var sums: [String: [CostReport.Row]] = [:]
            for row in rows {
                let value = key(row)
                if sums[value] == nil { order.append(value) }
                sums[value, default: []].append(row)
            }
            let groups = order.map { value in (value, Self.sum(sums[value] ?? [])) }
                .sorted { $0.1.cost != $1.1.cost ? $0.1.cost > $1.1.cost : $0.0 < $1.0 }
            return .array(groups.map { value, total in .object([(name, .string(value))] + total.members) })
        }
        return .object([
            ("days", .int(days)),
            ("from", .string(from)),
            ("to", .string(to)),
            ("total", .object(Self.sum(rows).members)),
            ("by_model", totals(\.model, named: "model")),
            ("by_variant", totals(\.variant, named: "variant")),
            ("daily", .array(rows.map { row in
                .object([("day", .string(row.day)), ("model", .string(row.model)), ("variant", .string(row.variant))]
                        + Self.sum([row]).members)
            })),
        ])
    }

    private struct Sum {
        var calls = 0
        var promptTokens = 0
        var completionTokens = 0
        var cost = 0.0

        /// Cost rounded to the rollup's 6 decimals, so sums of DECIMAL values show no binary noise.
        var members: [(String, JSONValue)] {
            [("calls", .int(calls)), ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
             ("cost", .double((cost * 1_000_000).rounded() / 1_000_000))]
        }
    }

    private static func sum(_ rows: [CostReport.Row]) -> Sum {
        rows.reduce(into: Sum()) { sum, row in
            sum.calls += row.calls
            sum.promptTokens += row.promptTokens
            sum.completionTokens += row.completionTokens
            sum.cost += row.cost
        }
    }
}
