import ArgumentParser
import Coaching
import Experiments
import MariaDB
import JSON

/// `coaching experiments …`: the admin's view of A/B prompt experiments from a terminal.
struct ExperimentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "A/B prompt experiments: list, report, replay past conversations.",
        subcommands: [List.self, Report.self, ReplayCommand.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the experiments in prompts/experiments/ and their state.")

        func run() throws {
            let (configuration, catalog) = try ExperimentsCommand.load()
            let connection = try MariaDBConnection(configuration: configuration.database)
            let states = try ExperimentStore(connection: connection).states()
            for definition in catalog.experiments {
                let state = states[definition.key]
                let variants = definition.variants.map { "\($0.name)=\($0.weight)" }.joined(separator: " ")
                print("\(definition.key)\t\(state?.status.rawValue ?? definition.initialStatus.rawValue)\t"
                      + "control \(definition.control)\t\(variants)" + (state?.winner.map { "\twinner \($0)" } ?? ""))
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per-variant metrics of one experiment, with intervals and the verdict.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json, csv
        }

        @Argument(help: "The experiment key (file name in prompts/experiments/ without .json).")
        var key: String

        @Option(help: "table, json or csv.")
        var format: Format = .table

        @Option(help: "Only hints created on or after this day (YYYY-MM-DD).")
        var since: String?

        func run() throws {
            let (configuration, catalog) = try ExperimentsCommand.load()
            guard let definition = catalog.experiment(key) else {
                throw ValidationError("no experiment \(key) in \(configuration.promptsDirectory)/experiments")
            }
            let connection = try MariaDBConnection(configuration: configuration.database)
            let comparison = try ExperimentReport(connection: connection)
                .compare(definition, templates: catalog.templates, since: since)
            switch format {
            case .table: print(comparison.table)
            case .json: print(JSONWriter.string(comparison.json))
            case .csv: print(comparison.csv)
            }
        }
    }

    static func load() throws -> (AppConfiguration, PromptCatalog.Contents) {
        Logs.bootstrap()
        MariaDBLibrary.initialize()
        let configuration = try AppConfiguration.load()
        do {
            return (configuration, try PromptCatalog.load(configuration.promptsDirectory))
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
