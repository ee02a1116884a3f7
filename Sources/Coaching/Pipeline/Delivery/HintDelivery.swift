import Logging
import MariaDB

/// The one path a hint takes out of an analysis: saved with the job's outcome, then published once
/// that save is committed, never before, so an agent is never shown a hint the database does not
/// hold. Callers that write more in the same transaction (the LLM result: ledger, cache) call
/// `save` inside it and `publish` after it.
struct HintDelivery {
    let connection: MariaDBConnection
    let claim: QueueClaim
    let publisher: any HintPublisher
    let logger: Logger

    /// Saves and publishes; for callers with nothing else to commit.
    func deliver(_ draft: HintWriter.Draft, job: QueueJob, subject: JobSubject, agentID: Int,
                 outcome: MessageOutcome, language: String) throws {
        if let hint = try save(draft, job: job, subject: subject, agentID: agentID, outcome: outcome) {
            publish(hint, language: language)
        }
    }

    /// Saves the hint and the outcome; nil when nothing is to be published: the message already had
    /// a hint (the job is recorded against it) or another worker holds the job now.
    func save(_ draft: HintWriter.Draft, job: QueueJob, subject: JobSubject, agentID: Int,
              outcome: MessageOutcome) throws -> Hint? {
        do {
            return try HintWriter(connection: connection, claim: claim)
                .save(draft, job: job, subject: subject, agentID: agentID, outcome: outcome)
        } catch HintWriter.Conflict.alreadyHinted {
            let existing = try connection.query("SELECT hint_id FROM coaching_hint_messages WHERE message_id = ?",
                                                [.int(subject.messageID)]).first?.int(0)
            try claim.finish(job, outcome: outcome, hintID: existing)
        } catch HintWriter.Conflict.leaseLost {
            logger.notice("lease lost before saving; another worker owns the job", metadata: ["queue_id": "\(job.id)"])
        }
        return nil
    }

    func publish(_ hint: Hint, language: String) {
        publisher.publish(hint, language: language)
    }
}
