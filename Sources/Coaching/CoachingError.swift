/// Domain failures, each of which the HTTP layer maps to exactly one status in one place.
public enum CoachingError: Error, Equatable, Sendable {
    /// The id does not exist or belongs to someone else; the two are indistinguishable on purpose.
    case notFound(String)
    /// A request value is missing or out of range; `field` names it for the client.
    case invalid(field: String, message: String)
    /// Several values of one request are wrong; each is named so the client can show them all.
    case invalidFields([FieldProblem])
    /// The caller is authenticated but its role does not allow this.
    case forbidden(String)
    /// A dependency (the database) is unreachable right now; retrying later may succeed.
    case unavailable(String)
}
