import ArgumentParser
import Foundation
import Logging

/// The one executable: `serve` runs the FastCGI request threads; the other subcommands are the
/// operator's tools.
@main
struct CoachingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coaching",
        abstract: "Realtime coaching hints for sales agents (FastCGI service and tools).",
        subcommands: [ServeCommand.self, WorkerCommand.self, MigrateCommand.self, TokenCommand.self, EvaluateCommand.self, TrainCommand.self, SimilarityCommand.self,
                      SimulateCommand.self, ExperimentsCommand.self]
    )
}

enum Logs {
    /// Logs go to stderr; `COACHING_LOG_LEVEL` picks the level (info by default).
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["COACHING_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
