/// One message offered to the API door, already checked for shape: either an existing `messages`
/// row (`existingMessageID`) or a new one to store. Which conversations and messages exist is for
/// `MessageIntake.accept` to find out, in bulk.
public struct IncomingMessage: Sendable {
    public enum Body: Sendable {
        case existing(messageID: Int)
        case new(senderType: String, senderID: Int?, content: String, messageType: String, createdAt: String?)
    }

    public let conversationID: Int
    public let agentID: Int?
    public let body: Body

    public init(conversationID: Int, agentID: Int?, body: Body) {
        self.conversationID = conversationID
        self.agentID = agentID
        self.body = body
    }
}

/// What became of one `IncomingMessage`.
public enum IntakeResult: Sendable, Equatable {
    /// Stored or found, and queued (`queued` false when some door had queued it already).
    case queued(messageID: Int, queueID: Int, queued: Bool)
    /// Stored or found, but not a customer message, so not analysed.
    case notAnalysed(messageID: Int)
    case conversationNotFound(Int)
    case messageNotFound(Int)
    case messageInOtherConversation(messageID: Int)
}
