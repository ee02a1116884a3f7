import MariaDB

/// The prompt an analysis uses and the experiment arm it counts for. Hints, ledger rows and cache
/// entries carry these three values so that every number in an experiment report can be traced to
/// the exact wording that produced it.
public struct PromptChoice: Sendable {
    /// Nil when no experiment is running: the hint counts for no experiment.
    public let experimentKey: String?
    public let variant: String
    public let template: PromptTemplate

    public init(experimentKey: String?, variant: String, template: PromptTemplate) {
        self.experimentKey = experimentKey
        self.variant = variant
        self.template = template
    }
}

/// Picks the prompt for an agent's next analysis. The worker asks for every job, so an
/// implementation answers from memory for agents it has seen and touches the database only on an
/// agent's first analysis in an experiment.
public protocol PromptSelector: Sendable {
    func choice(forAgent agentID: Int, connection: MariaDBConnection) throws -> PromptChoice
}

/// Every agent gets the same template: the product's behaviour without any experiment.
public struct FixedPromptSelector: PromptSelector {
    public let template: PromptTemplate

    public init(template: PromptTemplate) {
        self.template = template
    }

    public func choice(forAgent agentID: Int, connection: MariaDBConnection) throws -> PromptChoice {
        PromptChoice(experimentKey: nil, variant: template.name, template: template)
    }
}
