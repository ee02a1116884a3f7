import Foundation
import Logging
import MariaDB

/// Applies the ordered `sql/NNN_name.sql` files once each, recording them in `coaching_migrations`.
/// The files themselves are idempotent (`IF NOT EXISTS`), so a run interrupted half-way is simply
/// run again. A named lock keeps two processes from migrating at the same time.
public struct Migrator {
    public struct Applied: Sendable, Equatable {
        public let filename: String
        public let newlyApplied: Bool
    }

    public enum Failure: Error, CustomStringConvertible {
        case noMigrations(String)
        case lockTimeout
        case failed(filename: String, underlying: Error)

        public var description: String {
            switch self {
            case .noMigrations(let directory): return "no migration files in \(directory)"
            case .lockTimeout: return "another process holds the migration lock"
            case .failed(let filename, let underlying): return "\(filename): \(underlying)"
            }
        }
    }

    private let connection: MariaDBConnection
    private let directory: URL
    private let logger: Logger

    public init(connection: MariaDBConnection, directory: URL, logger: Logger = Logger(label: "coaching.migrate")) {
        self.connection = connection
        self.directory = directory
        self.logger = logger
    }

    public func files() throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let files = names.filter { $0.hasSuffix(".sql") && $0.first?.isNumber == true }.sorted()
        guard !files.isEmpty else { throw Failure.noMigrations(directory.path) }
        return files.map { directory.appendingPathComponent($0) }
    }

    @discardableResult
    public func run() throws -> [Applied] {
        let files = try files()
        let lock = try connection.query("SELECT GET_LOCK('coaching_migrate', 60)")
        guard lock.first?.int(0) == 1 else { throw Failure.lockTimeout }
        defer { _ = try? connection.query("SELECT RELEASE_LOCK('coaching_migrate')") }

        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS coaching_migrations (
                filename VARCHAR(255) NOT NULL PRIMARY KEY,
                applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """)
        let done = Set(try connection.query("SELECT filename FROM coaching_migrations").compactMap { $0.string(0) })
        var result: [Applied] = []
        for file in files {
            let name = file.lastPathComponent
            if done.contains(name) {
                result.append(Applied(filename: name, newlyApplied: false))
                continue
            }
            do {
                let text = try String(contentsOf: file, encoding: .utf8)
                try connection.executeScript(text)
                try connection.execute("INSERT IGNORE INTO coaching_migrations (filename) VALUES (?)", [.text(name)])
            } catch {
                throw Failure.failed(filename: name, underlying: error)
            }
            logger.info("applied migration", metadata: ["file": "\(name)"])
            result.append(Applied(filename: name, newlyApplied: true))
        }
        return result
    }
}
