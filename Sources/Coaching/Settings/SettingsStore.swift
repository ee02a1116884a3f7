import Foundation
import MariaDB
import JSON

/// Reads and writes the settings rows. The original keeps coaching settings under
/// `realtime_coaching` inside the JSON of the `conversation_settings` row.
public struct SettingsStore {
    public static let conversationSettingsKey = "conversation_settings"
    /// The original system keeps the LLM key in its own plain-text row.
    public static let apiKeyRowKey = "openai_api_key"
    public static let embeddingsKeyRowKey = "coaching_embeddings_api_key"

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    public func load() throws -> SettingsSnapshot {
        let rows = try connection.query(
            "SELECT `key`, `value` FROM settings WHERE `key` IN (?, ?, ?, ?)",
            [.text(Self.conversationSettingsKey), .text(ServiceSettings.rowKey), .text(Self.apiKeyRowKey),
             .text(Self.embeddingsKeyRowKey)])
        var snapshot = SettingsSnapshot()
        for row in rows {
            let document = row.string(1).flatMap { try? JSONParser.parse($0) }
            switch row.string(0) {
            case Self.conversationSettingsKey?: snapshot.coaching = CoachingSettings(json: document?["realtime_coaching"])
            case ServiceSettings.rowKey?: snapshot.service = ServiceSettings(json: document)
            case Self.apiKeyRowKey?:
                let key = (row.string(1) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if !key.isEmpty { snapshot.openAIKey = key }
            case Self.embeddingsKeyRowKey?:
                let key = (row.string(1) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if !key.isEmpty { snapshot.embeddingsKey = key }
            default: break
            }
        }
        return snapshot
    }

    /// The rows as stored, whole (unknown keys included), for an edit. `locking` takes the rows'
    /// locks (call it inside a transaction), so two admins saving at once are serialised instead of
    /// one silently undoing the other's change.
    public func documents(locking: Bool = false) throws -> SettingsDocuments {
        let rows = try connection.query(
            "SELECT `key`, `value` FROM settings WHERE `key` IN (?, ?, ?, ?)" + (locking ? " FOR UPDATE" : ""),
            [.text(Self.conversationSettingsKey), .text(ServiceSettings.rowKey), .text(Self.apiKeyRowKey),
             .text(Self.embeddingsKeyRowKey)])
        var documents = SettingsDocuments()
        for row in rows {
            let text = row.string(1) ?? ""
            let object = (try? JSONParser.parse(text)).flatMap { $0.objectValue != nil ? $0 : nil }
            switch row.string(0) {
            case Self.conversationSettingsKey?:
                documents.conversationSettings = object
                documents.conversationSettingsUnreadable = object == nil
                    && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            case ServiceSettings.rowKey?:
                documents.service = object
            case Self.apiKeyRowKey?:
                documents.apiKeySet = !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            case Self.embeddingsKeyRowKey?:
                documents.embeddingsKeySet = !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            default: break
            }
        }
        return documents
    }

    /// Writes the rows that differ from `previous`, each with one INSERT … ON DUPLICATE KEY UPDATE of
    /// its value: a row is replaced in place, never deleted and inserted again (the original did
    /// DELETE then INSERT, so a reader in between saw no settings at all). Only `value` changes on an
    /// existing row; its type, group and label stay the original app's. Call inside a transaction.
    public func write(_ documents: SettingsDocuments, previous: SettingsDocuments, change: SettingsChange) throws {
        if let document = documents.conversationSettings, documents.conversationSettings != previous.conversationSettings {
            try upsert(Self.conversationSettingsKey, JSONWriter.string(document), type: "json",
                       group: "conversations", label: "Conversation settings")
        }
        if let document = documents.service, documents.service != previous.service {
            try upsert(ServiceSettings.rowKey, JSONWriter.string(document), type: "json",
                       group: "conversations", label: "Realtime coaching service settings")
        }
        try writeSecret(change.apiKey, row: Self.apiKeyRowKey, label: "OpenAI API key")
        try writeSecret(change.embeddingsKey, row: Self.embeddingsKeyRowKey, label: "Coaching embeddings API key")
    }

    private func writeSecret(_ secret: SettingsChange.APIKey, row: String, label: String) throws {
        switch secret {
        case .keep: break
        case .set(let key): try upsert(row, key, type: "string", group: "integrations", label: label)
        case .clear: try upsert(row, "", type: "string", group: "integrations", label: label)
        }
    }

    private func upsert(_ key: String, _ value: String, type: String, group: String, label: String) throws {
        try connection.execute("""
            INSERT INTO settings (`key`, `value`, `type`, `group`, label, is_public) VALUES (?, ?, ?, ?, ?, 0)
            ON DUPLICATE KEY UPDATE `value` = VALUES(`value`)
            """, [.text(key), .text(value), .text(type), .text(group), .text(label)])
    }
}
