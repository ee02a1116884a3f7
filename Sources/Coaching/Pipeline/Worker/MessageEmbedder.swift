import Foundation

/// A worker thread's way to the embeddings server: it keeps one `EmbeddingsClient` (and so one
/// kept-alive connection) for as long as the settings describe the same server, and answers with
/// the embedding or with why there is none, so the analyser can fall back to its rules.
/// Owned by one thread, like its database connection.
final class MessageEmbedder {
    private let memo: EmbeddingMemo
    private var client: EmbeddingsClient?
    private var signature = ""
    /// The last request's result kind (`ok` or an `EmbeddingsError.kind`), for the worker heartbeat.
    private(set) var lastResult = "off"

    init(memo: EmbeddingMemo) {
        self.memo = memo
    }

    /// Whether `text` is already embedded for the configured server (nothing to prefetch).
    func isKnown(_ text: String, settings: SettingsSnapshot) -> Bool {
        let configuration = settings.service.embeddings
        return memo.value(.init(endpoint: configuration.endpointURL, model: configuration.model, text: text)) != nil
    }

    func embed(_ text: String, settings: SettingsSnapshot, environmentKey: String?) -> Result<(Embedding, String), EmbeddingsError> {
        var configuration = settings.service.embeddings
        guard configuration.isEnabled else {
            lastResult = "off"
            return .failure(.notConfigured)
        }
        configuration.apiKey = environmentKey ?? settings.embeddingsKey ?? ""
        let key = EmbeddingMemo.Key(endpoint: configuration.endpointURL, model: configuration.model, text: text)
        if let known = memo.value(key) {
            lastResult = "ok"
            return .success(known)
        }
        let wanted = "\(configuration.endpointURL)|\(configuration.model)|\(configuration.timeoutMilliseconds)|\(configuration.apiKey)"
        let started = Date()
        let result: Result<(Embedding, String), EmbeddingsError>
        do {
            if client == nil || signature != wanted {
                client = try EmbeddingsClient(configuration: configuration)
                signature = wanted
            }
            let response = try client!.embed([text])
            guard let embedding = response.embeddings.first else { throw EmbeddingsError.invalidResponse("no embedding") }
            result = .success((embedding, response.model))
            memo.store(key, (embedding, response.model))
        } catch let error as EmbeddingsError {
            result = .failure(error)
        } catch {
            result = .failure(.invalidResponse("\(error)"))
        }
        let kind: String
        switch result {
        case .success: kind = "ok"
        case .failure(let error): kind = error.kind
        }
        lastResult = kind
        PipelineMetrics.embeddingsRequest(result: kind, seconds: Date().timeIntervalSince(started))
        return result
    }
}
