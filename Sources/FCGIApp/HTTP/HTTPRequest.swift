import Coaching
import JSON

/// A request as the FastCGI params describe it, copied out of libfcgi's memory before the request
/// is finished. Header names are the CGI spellings (`HTTP_ORIGIN`).
struct HTTPRequest: Sendable {
    let method: String
    let path: String
    let queryString: String
    let params: CGIParams
    let body: [UInt8]

    init(method: String, path: String, queryString: String, params: CGIParams, body: [UInt8]) {
        self.method = method
        self.path = path
        self.queryString = queryString
        self.params = params
        self.body = body
    }

    init(method: String, path: String, queryString: String, params: [String: String], body: [UInt8]) {
        self.init(method: method, path: path, queryString: queryString, params: CGIParams(params), body: body)
    }

    func param(_ name: String) -> String? { params[name] }

    func header(_ cgiName: String) -> String? { params[cgiName] }

    var contentType: String? { params["CONTENT_TYPE"].map { $0.lowercased() } }

    /// The media type without parameters (`application/json; charset=utf-8` → `application/json`).
    var mediaType: String? {
        contentType.map { $0.split(separator: ";", maxSplits: 1).first.map { String($0).trimmed } ?? "" }
    }

    /// Decoded query parameters; the first occurrence of a name wins.
    func query() throws(APIError) -> FormFields {
        try FormFields(decoding: queryString, source: "query string")
    }

    /// The body as fields, whatever its encoding (JSON object or form). Empty bodies are empty objects.
    func bodyFields() throws(APIError) -> BodyFields {
        if body.isEmpty { return BodyFields(.object([])) }
        // Without a content type, a body that opens like an object is read as JSON.
        let media = mediaType ?? (body.first == UInt8(ascii: "{") ? "application/json" : nil)
        switch media {
        case "application/json"?, "text/json"?:
            let value: JSONValue
            do {
                value = try JSONParser.parse(body)
            } catch {
                throw APIError.badRequest("malformed JSON body: \(error.message) at byte \(error.offset)", field: "body")
            }
            guard case .object = value else {
                throw APIError.badRequest("the JSON body must be an object", field: "body")
            }
            return BodyFields(value)
        case "application/x-www-form-urlencoded"?:
            guard let text = String(validating: body, as: UTF8.self) else {
                throw APIError.badRequest("the form body is not valid UTF-8", field: "body")
            }
            return BodyFields(try FormFields(decoding: text, source: "form body").json)
        default:
            throw APIError.unsupportedMediaType(mediaType ?? "unknown")
        }
    }
}

extension String {
    var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
