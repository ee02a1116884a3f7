import CMariaDB
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One MariaDB session owned by exactly one thread.
///
/// It speaks only prepared statements (the 256 most recently used kept prepared, by SQL text),
/// reconnects after the server went away, re-prepares what it had prepared, and retries the failed
/// statement once outside a transaction. A statement that still fails surfaces as `MariaDBError.connectionLost`, which the
/// HTTP layer answers with 503. Not `Sendable` on purpose: a connection never crosses threads.
public final class MariaDBConnection {
    public let configuration: MariaDBConfiguration
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements = StatementCache(capacity: 256)
    private var transactionDepth = 0
    private let logger: Logger

    public init(configuration: MariaDBConfiguration, logger: Logger = Logger(label: "coaching.db")) throws {
        guard MariaDBConfiguration.isValidTimeZone(configuration.timeZone) else {
            throw MariaDBError.invalidConfiguration("time zone \(configuration.timeZone)")
        }
        MariaDBLibrary.initialize()
        self.configuration = configuration
        self.logger = logger
        try connect()
    }

    deinit {
        close()
    }

    public var isInTransaction: Bool { transactionDepth > 0 }

    /// Runs a statement and returns its rows (empty for statements without a result set).
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [SQLRow] {
        try withRecovery { try self.run(sql, parameters).rows }
    }

    /// Runs a statement without a result set.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = []) throws -> SQLExecution {
        try withRecovery { try self.run(sql, parameters).execution }
    }

    /// Runs trusted text that cannot be prepared (migration DDL shipped with the project).
    public func executeScript(_ sql: String) throws {
        try withRecovery {
            let handle = try self.liveHandle()
            if mysql_real_query(handle, sql, UInt(sql.utf8.count)) != 0 {
                throw self.error(from: handle)
            }
            repeat {
                if let result = mysql_store_result(handle) { mysql_free_result(result) }
                let next = mysql_next_result(handle)
                if next > 0 { throw self.error(from: handle) }
                if next != 0 { break }
            } while true
        }
    }

    /// Runs `body` inside a transaction; commits when it returns, rolls back when it throws.
    /// Nested calls join the outer transaction.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try withRecovery { try self.simple("START TRANSACTION") }
        transactionDepth = 1
        do {
            let value = try body()
            transactionDepth = 0
            try simple("COMMIT")
            return value
        } catch {
            transactionDepth = 0
            try? simple("ROLLBACK")
            throw error
        }
    }

    /// Checks the connection, reconnecting when needed.
    public func ping() throws {
        _ = try query("SELECT 1")
    }

    public func close() {
        statements.removeAll()
        if let handle { mysql_close(handle) }
        handle = nil
    }

    // MARK: - Connection management

    private func connect() throws {
        close()
        guard let handle = mysql_init(nil) else {
            throw MariaDBError.connectionFailed(code: 0, message: "mysql_init returned nil")
        }
        var connectTimeout = configuration.connectTimeoutSeconds
        var readTimeout = configuration.readTimeoutSeconds
        var writeTimeout = configuration.writeTimeoutSeconds
        _ = mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        _ = mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        _ = mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        _ = mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // READ COMMITTED: locking reads take no gap locks, so claims with SKIP LOCKED and the short
        // row-lock sections never block on ranges; correctness rests on row locks and unique keys.
        let initCommand = "SET time_zone = '\(configuration.timeZone)', NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, "
            + "tx_isolation = 'READ-COMMITTED'"
        _ = mysql_options(handle, MYSQL_INIT_COMMAND, initCommand)
        let flags = UInt(CLIENT_MULTI_STATEMENTS) | UInt(CLIENT_FOUND_ROWS)
        let connected: UnsafeMutablePointer<MYSQL>?
        if let socket = configuration.socket, !socket.isEmpty {
            connected = mysql_real_connect(handle, nil, configuration.user, configuration.password,
                                           configuration.database, 0, socket, flags)
        } else {
            connected = mysql_real_connect(handle, configuration.host, configuration.user, configuration.password,
                                           configuration.database, configuration.port, nil, flags)
        }
        if connected == nil {
            let code = mysql_errno(handle)
            let message = String(cString: mysql_error(handle))
            mysql_close(handle)
            throw MariaDBError.connectionFailed(code: code, message: message)
        }
        self.handle = handle
    }

    private func liveHandle() throws -> UnsafeMutablePointer<MYSQL> {
        if let handle { return handle }
        try connect()
        return handle!
    }

    /// One visible retry after a lost connection, never inside a transaction (its earlier statements
    /// are gone with the old session).
    private func withRecovery<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MariaDBError {
            guard case .connectionLost = error, transactionDepth == 0 else { throw error }
            logger.warning("database connection lost; reconnecting", metadata: ["error": "\(error)"])
            close()
            do {
                try connect()
            } catch let failure as MariaDBError {
                throw MariaDBError.connectionLost(code: 0, message: failure.description)
            }
            do {
                return try body()
            } catch let retryError as MariaDBError {
                if case .connectionFailed(let code, let message) = retryError {
                    throw MariaDBError.connectionLost(code: code, message: message)
                }
                throw retryError
            }
        }
    }

    private func simple(_ sql: String) throws {
        let handle = try liveHandle()
        if mysql_real_query(handle, sql, UInt(sql.utf8.count)) != 0 {
            throw error(from: handle)
        }
    }

    private func error(from handle: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
        let code = mysql_errno(handle)
        let message = String(cString: mysql_error(handle))
        if MariaDBError.isConnectionLoss(code) {
            self.handle = nil
            statements.removeAll()
            mysql_close(handle)
            return .connectionLost(code: code, message: message)
        }
        let state = String(cString: mysql_sqlstate(handle))
        return .statement(code: code, sqlState: state, message: message)
    }

    /// The statement's error, without side effects: the statement may still be in use (its result
    /// is freed by the caller's `defer`), so closing it is left to `discard(after:sql:)`.
    private func error(from statement: UnsafeMutablePointer<MYSQL_STMT>) -> MariaDBError {
        let code = mysql_stmt_errno(statement)
        let message = String(cString: mysql_stmt_error(statement))
        if MariaDBError.isConnectionLoss(code) { return .connectionLost(code: code, message: message) }
        return .statement(code: code, sqlState: String(cString: mysql_stmt_sqlstate(statement)), message: message)
    }

    /// After a failed statement has been let go: a lost session is closed with every statement; a
    /// failed statement may be left unusable, so it is prepared afresh next time.
    private func discard(after failure: MariaDBError, sql: String) {
        if case .connectionLost = failure {
            if let handle { mysql_close(handle) }
            handle = nil
            statements.removeAll()
        } else {
            statements.remove(sql)
        }
    }

    private func prepared(_ sql: String) throws -> UnsafeMutablePointer<MYSQL_STMT> {
        if let statement = statements.statement(for: sql) { return statement }
        let handle = try liveHandle()
        guard let statement = mysql_stmt_init(handle) else { throw error(from: handle) }
        if mysql_stmt_prepare(statement, sql, UInt(sql.utf8.count)) != 0 {
            let failure = error(from: statement)
            if case .connectionLost = failure {} else { mysql_stmt_close(statement) }
            discard(after: failure, sql: sql)
            throw failure
        }
        var updateMaxLength: my_bool = 1
        _ = mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        statements.insert(statement, for: sql)
        return statement
    }

    // MARK: - Statement execution

    private struct Outcome {
        var rows: [SQLRow] = []
        var execution = SQLExecution(affectedRows: 0, lastInsertID: 0)
    }

    private func run(_ sql: String, _ parameters: [SQLValue]) throws -> Outcome {
        let statement = try prepared(sql)
        do {
            return try execute(statement, sql, parameters)
        } catch let failure as MariaDBError {
            // Here, after `execute`'s defers have freed the statement's result.
            discard(after: failure, sql: sql)
            throw failure
        }
    }

    private func execute(_ statement: UnsafeMutablePointer<MYSQL_STMT>, _ sql: String,
                         _ parameters: [SQLValue]) throws -> Outcome {
        let expected = Int(mysql_stmt_param_count(statement))
        guard expected == parameters.count else {
            throw MariaDBError.statement(code: 0, sqlState: "HY000",
                                         message: "statement expects \(expected) parameters, got \(parameters.count)")
        }
        let binder = ParameterBinder(parameters)
        defer { binder.release() }
        if !parameters.isEmpty {
            if mysql_stmt_bind_param(statement, binder.binds) != 0 { throw error(from: statement) }
        }
        if mysql_stmt_execute(statement) != 0 { throw error(from: statement) }

        var outcome = Outcome()
        guard let metadata = mysql_stmt_result_metadata(statement) else {
            outcome.execution = SQLExecution(affectedRows: Int(mysql_stmt_affected_rows(statement)),
                                             lastInsertID: Int(mysql_stmt_insert_id(statement)))
            return outcome
        }
        defer { mysql_free_result(metadata) }
        if mysql_stmt_store_result(statement) != 0 { throw error(from: statement) }
        defer { mysql_stmt_free_result(statement) }
        let columnCount = Int(mysql_num_fields(metadata))
        let fields = mysql_fetch_fields(metadata)!
        var capacities = (0..<columnCount).map { max(Int(fields[$0].max_length) + 1, 64) }
        let reader = ResultReader(capacities: capacities)
        defer { reader.release() }
        if mysql_stmt_bind_result(statement, reader.binds) != 0 { throw error(from: statement) }

        while true {
            let status = mysql_stmt_fetch(statement)
            if status == MYSQL_NO_DATA { break }
            if status == 1 { throw error(from: statement) }
            var values = [String?](repeating: nil, count: columnCount)
            for column in 0..<columnCount {
                if reader.isNull[column] != 0 { continue }
                let length = Int(reader.lengths[column])
                if length >= capacities[column] {
                    // Truncated: fetch this column again into a buffer of the reported size.
                    capacities[column] = length + 1
                    values[column] = try refetch(statement, column: column, length: length, sql: sql)
                } else {
                    values[column] = reader.string(column: column, length: length)
                }
            }
            outcome.rows.append(SQLRow(values: values))
        }
        return outcome
    }

    private func refetch(_ statement: UnsafeMutablePointer<MYSQL_STMT>, column: Int, length: Int, sql: String) throws -> String {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length + 1, alignment: 8)
        defer { buffer.deallocate() }
        var bind = MYSQL_BIND()
        var realLength: UInt = 0
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = buffer
        bind.buffer_length = UInt(length + 1)
        return try withUnsafeMutablePointer(to: &realLength) { lengthPointer in
            bind.length = lengthPointer
            if mysql_stmt_fetch_column(statement, &bind, UInt32(column), 0) != 0 {
                throw error(from: statement)
            }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: min(Int(lengthPointer.pointee), length))
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// The client library's global initialisation, done once before any thread opens a connection.
public enum MariaDBLibrary {
    private static let initialized: Bool = {
        mysql_server_init(0, nil, nil)
        return true
    }()

    public static func initialize() {
        _ = initialized
    }
}
