/// One message of a chat-completion conversation. `role` is `system`, `user` or `assistant`.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
