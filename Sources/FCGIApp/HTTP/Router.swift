/// The single routing table. Patterns are literal segments plus `{id}` placeholders that accept only
/// positive 32-bit integers and `{key}` placeholders that accept only what `isKey` accepts (the route
/// table passes the experiments' key rule), so handlers never see a malformed id or key.
struct Router: Sendable {
    typealias Handler = @Sendable (HTTPRequest, RouteParameters, RequestContext) throws -> HTTPResponse

    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Substring]
        let handler: Handler
    }

    /// The route label of a request no route matched.
    static let unmatched = "unmatched"

    /// Which `{key}` segments are well formed; none unless the table says.
    private let isKey: @Sendable (Substring) -> Bool
    private var routes: [Route] = []
    /// Routes without placeholders by exact path, so the common polls skip the pattern scan.
    private var literalRoutes: [String: [Route]] = [:]

    init(isKey: @escaping @Sendable (Substring) -> Bool = { _ in false }) {
        self.isKey = isKey
    }

    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let route = Route(method: method, pattern: pattern, segments: pattern.split(separator: "/"), handler: handler)
        routes.append(route)
        if !pattern.contains("{") {
            literalRoutes["/" + route.segments.joined(separator: "/"), default: []].append(route)
        }
    }

    func handle(_ request: HTTPRequest, context: RequestContext) throws -> HTTPResponse {
        var route = Router.unmatched
        return try handle(request, context: context, route: &route)
    }

    /// Also tells which pattern answered (for metrics), or `unmatched`.
    func handle(_ request: HTTPRequest, context: RequestContext, route matched: inout String) throws -> HTTPResponse {
        if let candidates = literalRoutes[request.path] {
            if let route = candidates.first(where: { $0.method == request.method }) {
                matched = route.pattern
                return try route.handler(request, RouteParameters(), context)
            }
        }
        let segments = request.path.split(separator: "/")
        var allowed: [String] = []
        var badID: String?
        for route in routes where route.segments.count == segments.count {
            var parameters = RouteParameters()
            var literalsMatch = true
            var invalidID: String?
            for (pattern, actual) in zip(route.segments, segments) {
                if pattern.first == "{" {
                    let name = String(pattern.dropFirst().dropLast())
                    if name == "key" {
                        if isKey(actual) { parameters.key = String(actual) } else { invalidID = name }
                    } else if let id = RouteParameters.positiveID(actual) {
                        parameters.ids[name] = id
                    } else {
                        invalidID = name
                    }
                } else if pattern != actual {
                    literalsMatch = false
                    break
                }
            }
            guard literalsMatch else { continue }
            if let invalidID {
                badID = invalidID
                continue
            }
            if route.method == request.method {
                matched = route.pattern
                return try route.handler(request, parameters, context)
            }
            allowed.append(route.method)
        }
        if !allowed.isEmpty { throw APIError.methodNotAllowed(allowed: allowed) }
        if let badID {
            throw APIError.badRequest(badID == "key" ? "key must be 1–64 characters of a-z, 0-9, '-' or '_'"
                                                     : "\(badID) must be a positive integer", field: badID)
        }
        throw APIError.notFound("no such route")
    }
}

struct RouteParameters: Sendable {
    var ids: [String: Int] = [:]
    var key = ""

    func id(_ name: String = "id") -> Int { ids[name] ?? 0 }

    static func positiveID<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(text), value > 0, value <= Int(Int32.max) else { return nil }
        return value
    }
}
