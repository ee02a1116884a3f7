/// The authenticated caller. Roles come from the host system's `users.role`; `service` is the chat
/// application itself, which may have no user id.
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case agent, supervisor, admin, service
    }

    public let userID: Int?
    public let role: Role

    public init(userID: Int?, role: Role) {
        self.userID = userID
        self.role = role
    }

    /// Supervisors and admins may read other agents' hints and stats.
    public var canReadOtherAgents: Bool { role == .supervisor || role == .admin }

    /// The agent whose data a read concerns: the caller unless a permitted caller names another.
    public func agentScope(requested: Int?) throws(CoachingError) -> Int {
        guard let userID else { throw CoachingError.forbidden("this route needs a user identity") }
        guard let requested, requested != userID else { return userID }
        guard canReadOtherAgents else { throw CoachingError.forbidden("only supervisors and admins may read other agents") }
        return requested
    }
}
