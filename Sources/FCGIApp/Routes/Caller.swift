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

    /// Admin routes: supervisors may read, only admins may change. `subject` names what the route
    /// is about, for the 403 message ("experiments", "settings").
    static func staff(_ request: HTTPRequest, _ context: RequestContext, changing: Bool, subject: String) throws -> Principal {
        let principal = try authenticate(request, context)
        switch principal.role {
        case .admin: return principal
        case .supervisor where !changing: return principal
        default: throw APIError.forbidden(changing ? "only admins may change \(subject)" : "\(subject) are for admins and supervisors")
        }
    }
}
