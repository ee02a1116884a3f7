import MariaDB

extension Triage.Subject {
    init(_ subject: JobSubject, job: QueueJob) {
        self.init(senderType: subject.senderType, messageType: subject.messageType,
                  characterCount: subject.characterCount, assignedAgentID: subject.assignedAgentID,
                  ageSeconds: subject.ageSeconds, ahead: job.ahead)
    }
}

extension Triage.Facts {
    /// Reads the facts in the order `Triage.decide` weighs them and stops at the first that decides,
    /// so an answered message costs one query and a merged one two. `lookingForLater: false` skips
    /// the later-message look-up (after merges kept losing their race).
    static func read(for job: QueueJob, subject: JobSubject, coaching: CoachingSettings, service: ServiceSettings,
                     connection: MariaDBConnection, claim: QueueClaim, lookingForLater: Bool = true) throws -> Triage.Facts {
        var facts = Triage.Facts()
        facts.answered = try subject.isAnswered(connection: connection)
        if facts.answered { return facts }
        if lookingForLater {
            facts.laterQueueID = try claim.laterCustomerMessage(after: job, conversationID: subject.conversationID,
                                                                minimumLength: Triage.minimumLength(coaching))
            if facts.laterQueueID != nil { return facts }
        }
        if coaching.skipIfAgentTyping, let agentID = subject.assignedAgentID {
            facts.agentTyping = try TypingState(connection: connection)
                .isTyping(agentID: agentID, conversationID: subject.conversationID, freshSeconds: service.typingFreshSeconds)
        }
        return facts
    }
}
