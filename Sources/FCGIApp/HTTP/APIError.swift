import Coaching
import JSON

/// Every failure a client can see, and the one place that turns each into a status and the SPEC's
/// error JSON `{"success":false,"error":…,"code":…}`.
enum APIError: Error, Equatable {
    case badRequest(String, field: String?)
    /// Several fields are wrong at once (the settings form): 400 with every field and its message.
    case invalidFields([FieldProblem])
    case unauthorized(String)
    case forbidden(String)
    case csrf
    case notFound(String)
    case methodNotAllowed(allowed: [String])
    case payloadTooLarge(limit: Int)
    case unsupportedMediaType(String)
    case unavailable(String)
    case internalError

    var status: Int {
        switch self {
        case .badRequest, .invalidFields: return 400
        case .unauthorized: return 401
        case .forbidden, .csrf: return 403
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .payloadTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .unavailable: return 503
        case .internalError: return 500
        }
    }

    var code: String {
        switch self {
        case .badRequest, .invalidFields: return "bad_request"
        case .unauthorized: return "unauthorized"
        case .forbidden: return "forbidden"
        case .csrf: return "csrf"
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .payloadTooLarge: return "payload_too_large"
        case .unsupportedMediaType: return "unsupported_media_type"
        case .unavailable: return "unavailable"
        case .internalError: return "internal_error"
        }
    }

    var message: String {
        switch self {
        case .badRequest(let message, _): return message
        case .invalidFields(let problems):
            guard let first = problems.first else { return "invalid values" }
            let others = problems.count - 1
            return others == 0 ? "\(first.field): \(first.message)"
                : "\(first.field): \(first.message) (and \(others) more invalid field\(others == 1 ? "" : "s"))"
        case .unauthorized(let message): return message
        case .forbidden(let message): return message
        case .csrf: return "cross-site request rejected"
        case .notFound(let message): return message
        case .methodNotAllowed(let allowed): return "method not allowed; use \(allowed.joined(separator: ", "))"
        case .payloadTooLarge(let limit): return "request body larger than \(limit) bytes"
        case .unsupportedMediaType(let type): return "unsupported content type \(type); send application/json or a form"
        case .unavailable(let message): return message
        case .internalError: return "internal error"
        }
    }

    var response: HTTPResponse {
        var members: [(String, JSONValue)] = [
            ("success", .bool(false)),
            ("error", .string(message)),
            ("code", .string(code)),
        ]
        if case .badRequest(_, let field?) = self { members.append(("field", .string(field))) }
        if case .invalidFields(let problems) = self {
            // `field` names the first, as for every other 400; `errors` maps each field to its message.
            if let first = problems.first { members.append(("field", .string(first.field))) }
            members.append(("errors", .object(problems.map { ($0.field, .string($0.message)) })))
        }
        var headers: [(String, String)] = []
        if case .methodNotAllowed(let allowed) = self { headers.append(("Allow", allowed.joined(separator: ", "))) }
        if case .unauthorized = self { headers.append(("WWW-Authenticate", "Bearer")) }
        if case .unavailable = self { headers.append(("Retry-After", "1")) }
        return .json(.object(members), status: status, extraHeaders: headers)
    }
}
