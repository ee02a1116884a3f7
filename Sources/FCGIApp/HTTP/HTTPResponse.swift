import Coaching
import JSON

/// A response ready to be written as a CGI reply (`Status:` line, headers, body).
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Every JSON answer carries the same content type and `no-store`, as the API promises.
    static let jsonHeaders = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]

    static func json(_ value: JSONValue, status: Int = 200, extraHeaders: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: jsonHeaders + extraHeaders,
            body: JSONWriter.bytes(value)
        )
    }

    /// A JSON body encoded earlier (the poll cache keeps answers encoded), with the same headers.
    static func jsonBody(_ body: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: body)
    }

    static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")],
                     body: Array(text.utf8))
    }

    /// The CGI reply: `Status:` line, headers, a blank line and the body, in one buffer.
    func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + headers.count * 48 + body.count)
        func line(_ parts: String...) {
            for part in parts { bytes.append(contentsOf: part.utf8) }
            bytes.append(contentsOf: [0x0D, 0x0A])
        }
        line("Status: ", String(status), " ", HTTPResponse.reason(status))
        for (name, value) in headers { line(name, ": ", value) }
        line("Content-Length: ", String(body.count))
        bytes.append(contentsOf: [0x0D, 0x0A])
        bytes.append(contentsOf: body)
        return bytes
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
