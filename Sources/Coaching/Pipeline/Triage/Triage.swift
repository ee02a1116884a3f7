/// Decides, without touching the database, what happens to a claimed message before any analyser
/// sees it. Keeping the rules pure lets every filter, the merge and the typing deferral be unit
/// tested from plain values, and gives the worker one place to read them in order (SPEC §4.3).
///
/// The decision comes in two steps so that cheap rejections cost no queries: `screen` needs only
/// the message itself; `decide` also needs the `Facts` the worker reads from the database, and
/// repeats the screen first, so it alone is the full rule.
public enum Triage {
    public enum Decision: Sendable, Equatable {
        /// Record this outcome; no analysis.
        case filter(MessageOutcome.FilterReason)
        /// Look at the message again after this many seconds (the agent is typing).
        case postpone(seconds: Double)
        /// Fold the message into this later queue row of the same conversation.
        case merge(into: Int)
        case analyse
    }

    /// What only the database knows about the message at the moment of the decision.
    public struct Facts: Sendable, Equatable {
        /// An agent wrote in the conversation after the message.
        public var answered: Bool
        /// The newest unfinished customer message queued after this one that is long enough to analyse.
        public var laterQueueID: Int?
        /// The assigned agent's typing signal is on and fresh.
        public var agentTyping: Bool

        public init(answered: Bool = false, laterQueueID: Int? = nil, agentTyping: Bool = false) {
            self.answered = answered
            self.laterQueueID = laterQueueID
            self.agentTyping = agentTyping
        }
    }

    /// The message as triage sees it.
    public struct Subject: Sendable, Equatable {
        public var senderType: String
        public var messageType: String
        public var characterCount: Int
        public var assignedAgentID: Int?
        public var ageSeconds: Int
        /// Unfinished messages queued before this one when it was claimed.
        public var ahead: Int

        public init(senderType: String, messageType: String = "text", characterCount: Int,
                    assignedAgentID: Int?, ageSeconds: Int, ahead: Int = 0) {
            self.senderType = senderType
            self.messageType = messageType
            self.characterCount = characterCount
            self.assignedAgentID = assignedAgentID
            self.ageSeconds = ageSeconds
            self.ahead = ahead
        }
    }

    /// The rules that need nothing but the message: `.analyse` means "read the facts and decide".
    public static func screen(_ subject: Subject, coaching: CoachingSettings, service: ServiceSettings) -> Decision {
        guard coaching.enabled else { return .filter(.disabled) }
        if subject.messageType == "note" || (coaching.analyzeOnlyClientMessages && subject.senderType != "contact") {
            return .filter(.notClient)
        }
        guard subject.characterCount >= minimumLength(coaching) else { return .filter(.tooShort) }
        guard subject.assignedAgentID != nil else { return .filter(.unassigned) }
        guard subject.ageSeconds <= service.maxMessageAgeSeconds else { return .filter(.stale) }
        // More than max_queue_size messages ahead of this one: shed it, as the original queue limit did.
        guard subject.ahead < coaching.maxQueueSize else { return .filter(.queueFull) }
        return .analyse
    }

    public static func decide(_ subject: Subject, facts: Facts, coaching: CoachingSettings,
                              service: ServiceSettings) -> Decision {
        let screened = screen(subject, coaching: coaching, service: service)
        guard screened == .analyse else { return screened }
        if facts.answered { return .filter(.answered) }
        // A later customer message is still waiting: this one is analysed with it, once.
        if let later = facts.laterQueueID { return .merge(into: later) }
        if coaching.skipIfAgentTyping, facts.agentTyping {
            return subject.ageSeconds < service.typingDeferMaxSeconds ? .postpone(seconds: 1) : .filter(.agentTyping)
        }
        return .analyse
    }

    /// Messages shorter than this are not analysed; a later message shorter than this is not a merge target.
    public static func minimumLength(_ coaching: CoachingSettings) -> Int {
        max(coaching.minMessageLength, 1)
    }
}
