import ArgumentParser
import Coaching
import Foundation
import Logging
import MariaDB

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the sql/ migrations that have not run yet (safe to repeat)."
    )

    @Option(help: "Directory of migration files (overrides COACHING_SQL_DIR).")
    var directory: String?

    func run() throws {
        Logs.bootstrap()
        let configuration = try AppConfiguration.load()
        let connection = try MariaDBConnection(configuration: configuration.database)
        let migrator = Migrator(connection: connection,
                                directory: URL(fileURLWithPath: directory ?? configuration.sqlDirectory))
        let applied = try migrator.run()
        for migration in applied {
            print("\(migration.newlyApplied ? "applied" : "already applied")  \(migration.filename)")
        }
    }
}
