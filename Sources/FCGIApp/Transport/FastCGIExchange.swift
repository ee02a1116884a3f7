import CFastCGI
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One request and its answer over a libfcgi request object: the params and body become an
/// `HTTPRequest`, the router answers, and typed errors become the SPEC error JSON here, so every
/// request thread shares exactly one path from bytes in to bytes out.
struct FastCGIExchange: Sendable {
    let router: Router
    let bodyLimit: Int
    let logger: Logger

    func answer(_ request: UnsafeMutablePointer<FCGX_Request>, context: RequestContext) {
        let response = respond(to: request, context: context)
        var bytes = response.serializedHead()
        bytes.append(contentsOf: response.body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
    }

    private func respond(to request: UnsafeMutablePointer<FCGX_Request>, context: RequestContext) -> HTTPResponse {
        let params = FastCGIParams.copy(request.pointee.envp)
        let method = params["REQUEST_METHOD"] ?? "GET"
        let uri = params["REQUEST_URI"] ?? "/"
        let path = params["DOCUMENT_URI"] ?? String(uri.split(separator: "?", maxSplits: 1).first ?? "/")
        let query = params["QUERY_STRING"] ?? ""
        let length = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
        // Read to the end even when too large: a kept connection must start clean for the next request.
        guard let body = Self.readBody(request.pointee.in, expected: length, limit: bodyLimit),
              length <= bodyLimit else {
            return APIError.payloadTooLarge(limit: bodyLimit).response
        }
        let httpRequest = HTTPRequest(method: method, path: path, queryString: query, params: params, body: body)
        do {
            return try router.handle(httpRequest, context: context)
        } catch {
            if let apiError = APIError.from(error) { return apiError.response }
            logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return APIError.internalError.response
        }
    }

    /// Reads the body to its end; nil when it is larger than the limit (the rest is still consumed).
    static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, expected: Int, limit: Int) -> [UInt8]? {
        var body: [UInt8] = []
        if expected > 0 { body.reserveCapacity(min(expected, limit)) }
        var tooLarge = false
        var chunk = [CChar](repeating: 0, count: 16 * 1024)
        while true {
            let read = chunk.withUnsafeMutableBufferPointer { FCGX_GetStr($0.baseAddress, Int32($0.count), stream) }
            if read <= 0 { break }
            if tooLarge || body.count + Int(read) > limit {
                tooLarge = true
                continue
            }
            chunk.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(read)) {
                    body.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(read)))
                }
            }
        }
        return tooLarge ? nil : body
    }
}
