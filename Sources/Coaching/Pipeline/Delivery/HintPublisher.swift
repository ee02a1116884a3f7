/// The single place a saved hint leaves the pipeline for delivery. The queue and the hints table
/// stay the source of truth; publishing is best effort (polling returns the same hints).
public protocol HintPublisher: Sendable {
    func publish(_ hint: Hint, language: String)
    /// Delivers what is still queued and releases the transport; called once, when the worker stops.
    func close()
}

extension HintPublisher {
    public func close() {}
}

/// Delivery when no push transport is configured: polling alone.
public struct PollingOnlyPublisher: HintPublisher {
    public init() {}
    public func publish(_ hint: Hint, language: String) {}
}
