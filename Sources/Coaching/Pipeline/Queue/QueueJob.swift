/// A claimed queue row: the lease belongs to `lockedBy` until it expires.
public struct QueueJob: Sendable, Equatable {
    public let id: Int
    public let messageID: Int
    public let conversationID: Int
    public let agentID: Int
    public let attempts: Int
    public let source: String
    /// Unfinished messages queued before this one when it was claimed (for `max_queue_size`).
    public let ahead: Int
}
