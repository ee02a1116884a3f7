import ArgumentParser
import Coaching
import Experiments
import Foundation
import MariaDB
import JSON

/// `coaching experiments replay KEY`: past conversations through each variant of an experiment,
/// before agents see any of them.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay past conversations through every variant with the configured analyser; nothing is stored."
    )

    @Argument(help: "The experiment key.")
    var key: String

    @Option(help: "JSONL file, one {\"id\",\"messages\":[{\"from\":\"customer\"|\"agent\",\"text\"}]} per line.")
    var conversations: String?

    @Flag(help: "Replay the most recent conversations from the messages table instead of a file.")
    var fromDb = false

    @Option(help: "With --from-db: how many conversations.")
    var limit: Int = 50

    @Option(help: "With --from-db: only conversations with customer messages on or after this day (YYYY-MM-DD).")
    var since: String?

    @Option(help: "Analyses in flight at once (LLM analyser).")
    var concurrency: Int = 16

    @Option(help: "table, json or csv.")
    var format: ExperimentsCommand.Report.Format = .table

    func validate() throws {
        guard (conversations != nil) != fromDb else { throw ValidationError("give either --conversations FILE or --from-db") }
        guard limit > 0, concurrency > 0 else { throw ValidationError("--limit and --concurrency must be positive") }
    }

    func run() throws {
        let (configuration, catalog) = try ExperimentsCommand.load()
        guard let definition = catalog.experiment(key) else {
            throw ValidationError("no experiment \(key) in \(configuration.promptsDirectory)/experiments")
        }
        let connection = try MariaDBConnection(configuration: configuration.database)
        let settings = try SettingsStore(connection: connection).load()
        let past: [ReplayConversation]
        do {
            past = try conversations.map { try ReplayConversation.load(file: $0) }
                ?? ReplayConversation.load(connection: connection, limit: limit, since: since)
        } catch let error as ReplayConversation.Invalid {
            throw ValidationError(error.description)
        }

        let service = settings.service
        let key = configuration.openAIKey ?? settings.openAIKey
        let analyser: ExperimentReplay.Analyser
        var client: OpenAIClient?
        if service.provider == .openai || (service.provider == .auto && key != nil), let key {
            let made = try OpenAIClient(configuration: LLMClientConfiguration(service: service, apiKey: key))
            client = made
            analyser = .llm(made, model: settings.coaching.model, temperature: settings.coaching.temperature,
                            maxTokens: service.maxTokens, price: service.priceTable.price(for: settings.coaching.model).price)
        } else {
            analyser = .local
            FileHandle.standardError.write(Data("no LLM key configured: replaying with the local analyser, which ignores prompts, so every variant answers alike\n".utf8))
        }
        defer { client?.shutdown() }

        let replay = ExperimentReplay(analyser: analyser, enabledTypes: settings.coaching.enabledHintTypes,
                                      language: service.language, contextLimit: service.contextMessages,
                                      maxInFlight: concurrency)
        let inputs = replay.inputs(past)
        let variants = definition.variants.compactMap { catalog.templates[$0.name] }
        let bar = ProgressBar(label: "replaying \(past.count) conversations, \(inputs.count) customer messages × \(variants.count) variants")
        let results = replay.run(inputs, variants: variants) { done, total in bar.update(done, total) }
        bar.finish()
        switch format {
        case .table: print(Self.rows(results).map { $0.joined(separator: "\t") }.joined(separator: "\n"))
        case .csv: print(Self.rows(results).map { $0.map(CSVField.escape).joined(separator: ",") }.joined(separator: "\n"))
        case .json: print(JSONWriter.string(Self.json(results, key: definition.key)))
        }
    }

    static func rows(_ results: [ExperimentReplay.VariantResult]) -> [[String]] {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        var rows = [["variant", "analyses", "hints", "hint rate", "invalid rate", "errors", "prompt tokens",
                     "completion tokens", "est. cost (USD)", "types"]]
        for result in results {
            let types = result.types.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            rows.append([result.variant, "\(result.analyses)", "\(result.hints)", percent(result.hintRate),
                         percent(result.invalidRate), "\(result.errors)", "\(result.promptTokens)",
                         "\(result.completionTokens)", String(format: "%.6f", result.cost), types])
        }
        return rows
    }

    static func json(_ results: [ExperimentReplay.VariantResult], key: String) -> JSONValue {
        .object([
            ("experiment", .string(key)),
            ("variants", .array(results.map { result in
                .object([
                    ("variant", .string(result.variant)), ("analyses", .int(result.analyses)),
                    ("hints", .int(result.hints)), ("hint_rate", result.hintRate.map(JSONValue.double) ?? .null),
                    ("invalid_rate", result.invalidRate.map(JSONValue.double) ?? .null), ("errors", .int(result.errors)),
                    ("prompt_tokens", .int(result.promptTokens)), ("completion_tokens", .int(result.completionTokens)),
                    ("estimated_cost", .double(result.cost)),
                    ("types", .object(result.types.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                ])
            })),
        ])
    }
}
