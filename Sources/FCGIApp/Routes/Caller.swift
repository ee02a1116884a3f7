import Coaching

/// Authentication plus, for unsafe methods with ambient credentials, the CSRF check: the one call
/// every protected handler starts with.
enum Caller {
    static func authenticate(_ request: HTTPRequest, _ context: RequestContext) throws -> Principal {
        let identity = try context.authenticator.identify(request)
        if identity.isAmbient { try CSRFGuard.check(request) }
        return identity.principal
    }

    /// The caller's own user id, for actions on one's own hints.
    static func agentID(_ principal: Principal) throws -> Int {
        guard let userID = principal.userID else { throw APIError.forbidden("this route needs a user identity") }
        return userID
    }
}
