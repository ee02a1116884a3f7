import Coaching
import MariaDB

// Apart from APIError itself so that the request-parsing files compile without the database module.
extension APIError {
    /// Maps domain and database failures; anything unexpected is an internal error (logged by the caller).
    static func from(_ error: Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as CoachingError:
            switch error {
            case .notFound(let message): return .notFound(message)
            case .invalid(let field, let message): return .badRequest(message, field: field)
            case .invalidFields(let problems): return .invalidFields(problems)
            case .forbidden(let message): return .forbidden(message)
            case .unavailable(let message): return .unavailable(message)
            }
        case let error as MariaDBError where error.isConnectionProblem:
            return .unavailable("database unavailable, retry shortly")
        default:
            return nil
        }
    }
}
