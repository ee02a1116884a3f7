import ArgumentParser
import Coaching
import Foundation
import MariaDB

/// `coaching simulate`: plays customer messages into the assigned conversations (as the chat
/// application would, through the queue's intake), one every `--interval` seconds.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Play realistic customer messages (pt-BR and en) into demo conversations."
    )

    @Option(help: "Seconds between messages.")
    var interval: Double = 6

    @Option(help: "Stop after this many messages (0 = until interrupted).")
    var count: Int = 0

    @Option(help: "Only conversations assigned to these agent ids (comma-separated); default all assigned.")
    var agents: String?

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600") }
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
    }

    func run() throws {
        Logs.bootstrap()
        let configuration = try AppConfiguration.load()
        let connection = try MariaDBConnection(configuration: configuration.database)
        let filter = agents?.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? []
        var rows = try connection.query(
            "SELECT id, agent_id FROM conversations WHERE agent_id IS NOT NULL AND COALESCE(status, 'open') <> 'closed' ORDER BY id")
        if !filter.isEmpty { rows = rows.filter { filter.contains($0.int(1) ?? 0) } }
        let conversations = rows.compactMap { row -> (Int, Int)? in
            guard let id = row.int(0), let agent = row.int(1) else { return nil }
            return (id, agent)
        }
        guard !conversations.isEmpty else {
            print("no assigned conversations to simulate")
            return
        }
        print("simulating customer messages in \(conversations.count) conversations every \(interval) s")
        var n = 0
        while count == 0 || n < count {
            let (conversationID, agentID) = conversations[n % conversations.count]
            let english = conversationID % 2 == 1 && conversationID % 3 == 0
            let text = CustomerScript.line(n / conversations.count + conversationID, english: english)
            let settings = try SettingsStore(connection: connection).load()
            try connection.transaction {
                let intake = MessageIntake(connection: connection)
                let messageID = try intake.storeMessage(conversationID: conversationID, senderType: "contact", senderID: nil,
                                                        content: text, messageType: "text", createdAt: nil)
                _ = try intake.enqueue(messageID: messageID, conversationID: conversationID, agentID: agentID,
                                       door: .api, delay: settings.coaching.queueProcessingDelay)
            }
            FileHandle.standardOutput.write(Data("conversation \(conversationID): \(text)\n".utf8))
            n += 1
            if count == 0 || n < count { Thread.sleep(forTimeInterval: interval) }
        }
    }
}
