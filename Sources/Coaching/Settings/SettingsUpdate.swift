import MariaDB
import JSON

/// An admin's edit of the settings, end to end: checked against the rows as they are, merged into
/// them (keys this product does not know, including the original app's own, stay), and written in
/// one transaction. Other processes pick the change up within `SettingsProvider`'s refresh (1 s).
public struct SettingsUpdate {
    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// What `save` would do, without writing: the checked change and the settings after it.
    public func preview(_ body: JSONValue) throws -> (change: SettingsChange, after: SettingsDocuments) {
        let current = try SettingsStore(connection: connection).documents()
        let change = try SettingsValidation.check(body, current: current)
        return (change, current.applying(change))
    }

    /// Checks and saves atomically: the rows are locked, re-read, checked, merged and written in one
    /// transaction, so the check sees exactly what the save replaces. A deadlock with a concurrent
    /// save (both inserting a missing row) is retried once.
    public func save(_ body: JSONValue) throws -> (change: SettingsChange, after: SettingsDocuments) {
        let store = SettingsStore(connection: connection)
        func attempt() throws -> (change: SettingsChange, after: SettingsDocuments) {
            try connection.transaction {
                let current = try store.documents(locking: true)
                let change = try SettingsValidation.check(body, current: current)
                let after = current.applying(change)
                try store.write(after, previous: current, change: change)
                return (change, after)
            }
        }
        do {
            return try attempt()
        } catch let error as MariaDBError where error.isRetryableConflict {
            return try attempt()
        }
    }
}
