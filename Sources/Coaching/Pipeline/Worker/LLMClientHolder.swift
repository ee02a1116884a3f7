import Synchronization

/// The process's one OpenAI-compatible client, rebuilt when a setting it depends on (base URL,
/// timeouts, key) changes. The replaced client is released outside the lock: its deinit stops its
/// curl-multi thread and hands its in-flight calls back as `.cancelled`, and recording those needs
/// worker threads that may be waiting for this very lock.
final class LLMClientHolder: Sendable {
    private let current = Mutex<(signature: String, client: OpenAIClient)?>(nil)
    /// Connections to the LLM server at once (part of the process's descriptor budget).
    private let maxConnections: Int

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    func client(key: String, service: ServiceSettings) throws -> OpenAIClient {
        let signature = "\(service.baseURL)|\(service.connectTimeoutMilliseconds)|\(service.totalTimeoutMilliseconds)|\(key)"
        if let existing = current.withLock({ $0?.signature == signature ? $0?.client : nil }) { return existing }
        var configuration = LLMClientConfiguration(service: service, apiKey: key)
        configuration.maxHostConnections = maxConnections
        let fresh = try OpenAIClient(configuration: configuration)
        let (chosen, previous) = current.withLock { slot -> (OpenAIClient, OpenAIClient?) in
            // Another thread made the same client meanwhile: use that one, drop ours (it has no calls).
            if let slot, slot.signature == signature { return (slot.client, nil) }
            let previous = slot?.client
            slot = (signature, fresh)
            return (fresh, previous)
        }
        withExtendedLifetime(previous) {}
        return chosen
    }

    var circuitState: String {
        current.withLock { $0?.client.circuitState.rawValue } ?? "closed"
    }

    /// Cancels the calls still in flight; their completions arrive as `.cancelled`.
    func shutdown() {
        current.withLock { $0?.client }?.shutdown()
    }
}
