import ArgumentParser
import Coaching
import Foundation

/// The embeddings server and classifier file for the local-analyser tools. Defaults come from the
/// environment (`COACHING_EMBEDDINGS_URL`, which the stack's `stack.env` names) so the tools use
/// the same server as the running stack.
struct EmbeddingOptions: ParsableArguments {
    @Option(help: "OpenAI-compatible embeddings base URL (…/v1); default $COACHING_EMBEDDINGS_URL. Empty: rules only.")
    var embeddingsURL: String?

    @Option(help: "Embeddings model name sent to the server.")
    var embeddingsModel = ServiceSettings().embeddingsModel

    @Option(help: "Per-request timeout in milliseconds (a batch of texts is one request).")
    var embeddingsTimeoutMs = 60_000

    @Option(help: "Trained classifier weights (default $COACHING_CLASSIFIER_FILE or analyser/situation-classifier.json).")
    var classifier: String?

    var classifierPath: String {
        classifier ?? ProcessInfo.processInfo.environment["COACHING_CLASSIFIER_FILE"] ?? "analyser/situation-classifier.json"
    }

    var configuration: EmbeddingsConfiguration {
        let environment = ProcessInfo.processInfo.environment
        return EmbeddingsConfiguration(baseURL: embeddingsURL ?? environment["COACHING_EMBEDDINGS_URL"] ?? "",
                                       model: embeddingsModel, apiKey: environment["COACHING_EMBEDDINGS_API_KEY"] ?? "",
                                       timeoutMilliseconds: embeddingsTimeoutMs)
    }

    /// Embeds every text in batches, with a progress bar; nil when no server is configured.
    func embedAll(_ texts: [String], label: String) throws -> (embeddings: [Embedding], model: String)? {
        let configuration = configuration
        guard configuration.isEnabled else { return nil }
        let client = try EmbeddingsClient(configuration: configuration)
        let progress = ProgressBar(label: label)
        var embeddings: [Embedding] = []
        var model = configuration.model
        for start in stride(from: 0, to: texts.count, by: 32) {
            let response = try client.embed(Array(texts[start..<min(start + 32, texts.count)]))
            embeddings += response.embeddings
            model = response.model
            progress.update(embeddings.count, texts.count)
        }
        progress.finish()
        return (embeddings, model)
    }
}
