import Foundation
import MariaDB

/// Reads the settings rows. The original keeps coaching settings under `realtime_coaching` inside
/// the JSON of the `conversation_settings` row.
public struct SettingsStore {
    public static let conversationSettingsKey = "conversation_settings"
    /// The original system keeps the LLM key in its own plain-text row.
    public static let apiKeyRowKey = "openai_api_key"

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    public func load() throws -> SettingsSnapshot {
        let rows = try connection.query(
            "SELECT `key`, `value` FROM settings WHERE `key` IN (?, ?, ?)",
            [.text(Self.conversationSettingsKey), .text(ServiceSettings.rowKey), .text(Self.apiKeyRowKey)])
        var snapshot = SettingsSnapshot()
        for row in rows {
            let document = row.string(1).flatMap { try? JSONParser.parse($0) }
            switch row.string(0) {
            case Self.conversationSettingsKey?: snapshot.coaching = CoachingSettings(json: document?["realtime_coaching"])
            case ServiceSettings.rowKey?: snapshot.service = ServiceSettings(json: document)
            case Self.apiKeyRowKey?:
                let key = (row.string(1) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if !key.isEmpty { snapshot.openAIKey = key }
            default: break
            }
        }
        return snapshot
    }
}
