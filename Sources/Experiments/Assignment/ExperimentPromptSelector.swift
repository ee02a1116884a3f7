import Coaching
import Foundation
import MariaDB

/// Chooses each agent's prompt from the running experiment (SPEC §6): the agent's sticky variant
/// while it runs, the control while it is paused, the winner for everyone once concluded, and the
/// `default` template when there is no experiment at all.
///
/// Only one experiment steers prompts at a time: the running one whose key sorts first (others
/// wait). Experiment states are re-read from the database at most every `stateMaxAge`, so a pause
/// or conclusion made through any process reaches every worker within that time. Assignments are
/// remembered in memory once read or written; they never change, so the memory cannot go stale.
public final class ExperimentPromptSelector: PromptSelector, @unchecked Sendable {
    private let catalog: PromptCatalog
    private let stateMaxAge: Duration
    private let lock = NSLock()
    private var states: [String: ExperimentStore.State] = [:]
    private var statesLoadedAt: ContinuousClock.Instant?
    private var assignments: [String: [Int: String]] = [:]

    public init(catalog: PromptCatalog, stateMaxAge: Duration = .seconds(2)) {
        self.catalog = catalog
        self.stateMaxAge = stateMaxAge
    }

    public func choice(forAgent agentID: Int, connection: MariaDBConnection) throws -> PromptChoice {
        let contents = catalog.current()
        guard let fallback = contents.templates["default"] else {
            preconditionFailure("PromptCatalog guarantees a default template")
        }
        let states = try currentStates(contents, connection: connection)
        let running = contents.experiments.first { states[$0.key]?.status == .running }
        guard let experiment = running else {
            return servingWithoutExperiment(contents, states: states, fallback: fallback)
        }
        let variant = try assignedVariant(experiment, agentID: agentID, connection: connection)
        guard let name = variant, let template = contents.templates[name] else {
            // Assigned to a variant the definition no longer lists: the control, outside the comparison.
            let control = contents.templates[experiment.control] ?? fallback
            return PromptChoice(experimentKey: nil, variant: control.name, template: control)
        }
        return PromptChoice(experimentKey: experiment.key, variant: name, template: template)
    }

    /// Paused experiments serve their control and concluded ones their winner (the most recently
    /// concluded first); hints made then count for no experiment.
    private func servingWithoutExperiment(_ contents: PromptCatalog.Contents, states: [String: ExperimentStore.State],
                                          fallback: PromptTemplate) -> PromptChoice {
        if let paused = contents.experiments.first(where: { states[$0.key]?.status == .paused }),
           let control = contents.templates[paused.control] {
            return PromptChoice(experimentKey: nil, variant: control.name, template: control)
        }
        let concluded: [ExperimentStore.State] = contents.experiments.compactMap { definition in
            guard let state = states[definition.key], state.status == .concluded, state.winner != nil else { return nil }
            return state
        }
        let latest = concluded.max { ($0.concludedAt ?? "") < ($1.concludedAt ?? "") }
        if let winner = latest?.winner, let template = contents.templates[winner] {
            return PromptChoice(experimentKey: nil, variant: winner, template: template)
        }
        return PromptChoice(experimentKey: nil, variant: fallback.name, template: fallback)
    }

    private func currentStates(_ contents: PromptCatalog.Contents,
                               connection: MariaDBConnection) throws -> [String: ExperimentStore.State] {
        let now = ContinuousClock.now
        lock.lock()
        if let loaded = statesLoadedAt, now - loaded < stateMaxAge,
           contents.experiments.allSatisfy({ states[$0.key] != nil }) {
            defer { lock.unlock() }
            return states
        }
        lock.unlock()
        let store = ExperimentStore(connection: connection)
        var fresh = try store.states()
        let unseen = contents.experiments.filter { fresh[$0.key] == nil }
        if !unseen.isEmpty {
            try store.register(unseen)
            fresh = try store.states()
        }
        lock.lock()
        states = fresh
        statesLoadedAt = now
        lock.unlock()
        return fresh
    }

    private func assignedVariant(_ experiment: ExperimentDefinition, agentID: Int,
                                 connection: MariaDBConnection) throws -> String? {
        lock.lock()
        let known = assignments[experiment.key]?[agentID]
        lock.unlock()
        let stored: String
        if let known {
            stored = known
        } else {
            let bucket = VariantBucket.bucket(salt: experiment.salt, experiment: experiment.key, agentID: agentID)
            let store = ExperimentStore(connection: connection)
            var proposed = VariantBucket.variant(forBucket: bucket, in: experiment.variants)
            if experiment.allocation == .thompson {
                var sampler = ThompsonAllocation(random: SystemRandomNumberGenerator())
                proposed = sampler.choose(experiment.variants.map(\.name),
                                          ratings: try store.ratings(experiment: experiment.key)) ?? proposed
            }
            stored = try store.assign(experiment: experiment.key, agentID: agentID, proposed: proposed, bucket: bucket,
                                      method: experiment.allocation)
            lock.lock()
            assignments[experiment.key, default: [:]][agentID] = stored
            lock.unlock()
        }
        return experiment.variant(named: stored) != nil ? stored : nil
    }
}
