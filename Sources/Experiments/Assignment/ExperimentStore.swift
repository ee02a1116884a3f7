import Coaching
import MariaDB

/// The database side of experiments: each experiment's state, shared by every process, and the
/// sticky per-agent assignments. An assignment row is written once (`INSERT IGNORE` on the
/// primary key) and never updated, so two processes racing on an agent's first hint agree on the
/// first row written, and a later weight change cannot move anyone.
public struct ExperimentStore {
    public struct State: Sendable, Equatable {
        public let status: ExperimentDefinition.Status
        public let winner: String?
        public let startedAt: String
        public let concludedAt: String?
    }

    public enum ActionError: Error, Equatable {
        case unknownExperiment(String)
        case unknownVariant(String)
        case alreadyConcluded(String)
    }

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// Creates the state rows of definitions seen for the first time, with the file's status.
    public func register(_ definitions: [ExperimentDefinition]) throws {
        for definition in definitions {
            try connection.execute("""
                INSERT IGNORE INTO coaching_experiments (experiment_key, status, concluded_at)
                VALUES (?, ?, IF(? = 'concluded', NOW(3), NULL))
                """, [.text(definition.key), .text(definition.initialStatus.rawValue),
                      .text(definition.initialStatus.rawValue)])
        }
    }

    public func states() throws -> [String: State] {
        var states: [String: State] = [:]
        for row in try connection.query("""
            SELECT experiment_key, status, winner, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s'),
                   DATE_FORMAT(concluded_at, '%Y-%m-%d %H:%i:%s')
            FROM coaching_experiments
            """) {
            guard let key = row.string(0), let status = row.string(1).flatMap(ExperimentDefinition.Status.init) else {
                continue
            }
            states[key] = State(status: status, winner: row.string(2), startedAt: row.string(3) ?? "",
                                concludedAt: row.string(4))
        }
        return states
    }

    /// The agent's variant: the stored one, else `proposed` stored now. Returns what is stored.
    public func assign(experiment: String, agentID: Int, proposed: String, bucket: Int,
                       method: ExperimentDefinition.Allocation) throws -> String {
        try connection.execute("""
            INSERT IGNORE INTO coaching_experiment_assignments (experiment_key, agent_id, variant, bucket, method)
            VALUES (?, ?, ?, ?, ?)
            """, [.text(experiment), .int(agentID), .text(proposed), .int(bucket), .text(method.rawValue)])
        return try connection.query("""
            SELECT variant FROM coaching_experiment_assignments WHERE experiment_key = ? AND agent_id = ?
            """, [.text(experiment), .int(agentID)]).first?.string(0) ?? proposed
    }

    /// Pause, resume or conclude. Concluding names a winner that every agent then gets.
    public func setStatus(_ status: ExperimentDefinition.Status, of definition: ExperimentDefinition,
                          winner: String? = nil) throws {
        try register([definition])
        if status == .concluded {
            guard let winner, definition.variant(named: winner) != nil else {
                throw ActionError.unknownVariant(winner ?? "")
            }
        }
        let current = try states()[definition.key]
        if current?.status == .concluded, status != .concluded {
            throw ActionError.alreadyConcluded(definition.key)
        }
        try connection.execute("""
            UPDATE coaching_experiments
            SET status = ?, winner = ?, concluded_at = IF(? = 'concluded', NOW(3), NULL)
            WHERE experiment_key = ?
            """, [.text(status.rawValue), .optional(status == .concluded ? winner : nil), .text(status.rawValue),
                  .text(definition.key)])
    }

    /// Helpful and not-helpful ratings per variant, for Thompson sampling.
    public func ratings(experiment: String) throws -> [String: (helpful: Int, notHelpful: Int)] {
        var result: [String: (helpful: Int, notHelpful: Int)] = [:]
        for row in try connection.query("""
            SELECT variant, SUM(feedback = 'helpful'), SUM(feedback = 'not_helpful')
            FROM realtime_coaching_hints WHERE experiment_key = ? AND feedback IS NOT NULL GROUP BY variant
            """, [.text(experiment)]) {
            if let variant = row.string(0) { result[variant] = (row.int(1) ?? 0, row.int(2) ?? 0) }
        }
        return result
    }
}
