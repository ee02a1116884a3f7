import Foundation
import MariaDB

/// Everything the process needs to know, read once from the environment (and an env file) and
/// validated before anything starts. Passed down as a value; nothing else reads the environment.
///
/// Lookup order for each key: the process environment, then the env file named by
/// `COACHING_ENV_FILE`, else `.runtime/dev/coaching.env` under the working directory (the file that
/// `make run` writes, so `coaching token` run from the project root uses the running stack's secret).
struct AppConfiguration: Sendable {
    var database: MariaDBConfiguration
    /// A read replica of `database` for the poll route (`COACHING_DB_REPLICA_HOST` or `_SOCKET`);
    /// its account needs only SELECT. Nil: every read goes to the primary.
    var replica: MariaDBConfiguration?
    /// Above this estimated lag the replica is skipped and polls read the primary.
    var replicaMaxLagSeconds: Double
    var socketPath: String
    var requestThreads: Int
    var jwtSecret: String
    var cookieName: String
    var bodyLimit: Int
    /// Trust `COACHING_AUTH_USER_ID` / `COACHING_AUTH_ROLE` FastCGI params set by nginx after
    /// `auth_request` to the host application. Off unless the nginx site sets them itself.
    var trustNginxIdentity: Bool
    var sqlDirectory: String
    var settingsMaxAge: Duration
    /// Analysis worker threads in `serve` (0 = requests only; run `coaching worker` elsewhere).
    var workerThreads: Int
    /// Connections from nginx held open at once; more wait in the listen backlog (`DescriptorBudget`).
    /// Must stay above nginx's idle upstream connections (worker processes x `keepalive`), or a new
    /// connection could wait for an idle one that nginx never closes.
    var fastCGIConnections: Int
    /// Connections to the LLM server at once (libcurl's per-host limit).
    var llmConnections: Int
    var promptsDirectory: String
    /// Secret. Wins over the `openai_api_key` settings row.
    var openAIKey: String?
    var workerID: String
    /// How long a claimed job stays owned without a heartbeat; live calls are extended every second.
    var leaseSeconds: Int
    /// nginx's nchan publisher socket; without it hints reach agents by polling only.
    var nchanPublishSocket: String?
    /// The local analyser's trained weights (`coaching train-local` writes them).
    var classifierFile: String
    /// Secret. Wins over the embeddings key settings row.
    var embeddingsKey: String?

    struct Invalid: Error, CustomStringConvertible {
        let problems: [String]
        var description: String { "invalid configuration: " + problems.joined(separator: "; ") }
    }

    static let defaultEnvFile = ".runtime/dev/coaching.env"

    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        var values = [String: String]()
        let fileName = environment["COACHING_ENV_FILE"] ?? defaultEnvFile
        if let text = try? String(contentsOfFile: fileName, encoding: .utf8) {
            values = parseEnvFile(text)
        } else if environment["COACHING_ENV_FILE"] != nil {
            throw Invalid(problems: ["cannot read COACHING_ENV_FILE \(fileName)"])
        }
        for (key, value) in environment where key.hasPrefix("COACHING_") || key == "OPENAI_API_KEY" { values[key] = value }
        return try AppConfiguration(values: values)
    }

    init(values: [String: String]) throws {
        var problems: [String] = []
        func integer(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let text = values[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                problems.append("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
                return fallback
            }
            return value
        }
        let timeZone = values["COACHING_DB_TIMEZONE"] ?? "-03:00"
        if !MariaDBConfiguration.isValidTimeZone(timeZone) {
            problems.append("COACHING_DB_TIMEZONE must look like -03:00 or Area/City")
        }
        database = MariaDBConfiguration(
            host: values["COACHING_DB_HOST"] ?? "127.0.0.1",
            port: UInt32(integer("COACHING_DB_PORT", 3306, 1...65535)),
            user: values["COACHING_DB_USER"] ?? "coaching",
            password: values["COACHING_DB_PASSWORD"] ?? "",
            database: values["COACHING_DB_NAME"] ?? "coaching",
            socket: values["COACHING_DB_SOCKET"].flatMap { $0.isEmpty ? nil : $0 },
            timeZone: timeZone
        )
        let replicaHost = values["COACHING_DB_REPLICA_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let replicaSocket = values["COACHING_DB_REPLICA_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if replicaHost != nil || replicaSocket != nil {
            var replica = database
            replica.host = replicaHost ?? database.host
            replica.port = UInt32(integer("COACHING_DB_REPLICA_PORT", Int(database.port), 1...65535))
            replica.socket = replicaSocket
            replica.user = values["COACHING_DB_REPLICA_USER"] ?? database.user
            replica.password = values["COACHING_DB_REPLICA_PASSWORD"] ?? database.password
            self.replica = replica
        } else {
            replica = nil
        }
        replicaMaxLagSeconds = Double(integer("COACHING_DB_REPLICA_MAX_LAG_SECONDS", 10, 1...3600))
        socketPath = values["COACHING_SOCKET"] ?? ".runtime/dev/coaching.sock"
        // Requests are short (a cached poll, a one-row write), so one thread per core keeps the cores
        // busy without the context switches of more threads; a database on another host adds
        // latency per request, and then more threads pay off.
        requestThreads = integer("COACHING_THREADS", max(2, ProcessInfo.processInfo.activeProcessorCount), 1...512)
        jwtSecret = values["COACHING_JWT_SECRET"] ?? ""
        cookieName = values["COACHING_COOKIE_NAME"] ?? "coaching_token"
        bodyLimit = integer("COACHING_BODY_LIMIT", 1_048_576, 1024...(64 * 1_048_576))
        trustNginxIdentity = ["1", "true", "yes"].contains((values["COACHING_TRUST_NGINX_IDENTITY"] ?? "").lowercased())
        sqlDirectory = values["COACHING_SQL_DIR"] ?? "sql"
        settingsMaxAge = .milliseconds(integer("COACHING_SETTINGS_MAX_AGE_MS", 1000, 0...2000))
        workerThreads = integer("COACHING_WORKER_THREADS", 2, 0...64)
        fastCGIConnections = integer("COACHING_FASTCGI_CONNECTIONS", 384, 8...900)
        llmConnections = integer("COACHING_LLM_CONNECTIONS", 256, 1...450)
        promptsDirectory = values["COACHING_PROMPTS_DIR"] ?? "prompts"
        openAIKey = (values["COACHING_OPENAI_API_KEY"] ?? values["OPENAI_API_KEY"]).flatMap { $0.isEmpty ? nil : $0 }
        leaseSeconds = integer("COACHING_LEASE_SECONDS", 30, 3...3600)
        nchanPublishSocket = values["COACHING_NCHAN_PUBLISH_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        classifierFile = values["COACHING_CLASSIFIER_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "analyser/situation-classifier.json"
        embeddingsKey = values["COACHING_EMBEDDINGS_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        workerID = values["COACHING_WORKER_ID"]
            ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        if !problems.isEmpty { throw Invalid(problems: problems) }
    }

    /// A secret is required to serve or mint tokens; short secrets make HS256 guessable.
    func requireSecret() throws {
        guard jwtSecret.utf8.count >= 32 else {
            throw Invalid(problems: ["COACHING_JWT_SECRET must be set to at least 32 bytes"])
        }
    }

    static func parseEnvFile(_ text: String) -> [String: String] {
        var values = [String: String]()
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals]).trimmingCharacters(in: .whitespaces)
            var value = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, (value.hasPrefix("\"") && value.hasSuffix("\"")) || (value.hasPrefix("'") && value.hasSuffix("'")) {
                value = String(value.dropFirst().dropLast())
            }
            values[key.hasPrefix("export ") ? String(key.dropFirst(7)) : key] = value
        }
        return values
    }
}
