import CFastCGI
import Dispatch
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
    let metrics: ServiceMetrics?

    func answer(_ request: UnsafeMutablePointer<FCGX_Request>, context: RequestContext) {
        let started = DispatchTime.now().uptimeNanoseconds
        var route = Router.unmatched
        var method = "GET"
        let response = respond(to: request, context: context, route: &route, method: &method)
        let bytes = response.serialized()
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
        metrics?.recordRequest(route: route, method: Self.knownMethods.contains(method) ? method : "other", status: response.status,
                               nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
    }

    private func respond(to request: UnsafeMutablePointer<FCGX_Request>, context: RequestContext,
                         route: inout String, method: inout String) -> HTTPResponse {
        let params = FastCGIParams.copy(request.pointee.envp)
        method = params["REQUEST_METHOD"] ?? "GET"
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
            return try router.handle(httpRequest, context: context, route: &route)
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
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16 * 1024) { chunk in
            while true {
                let read = Int(FCGX_GetStr(chunk.baseAddress, Int32(chunk.count), stream))
                if read <= 0 { break }
                if tooLarge || body.count + read > limit {
                    tooLarge = true
                    continue
                }
                UnsafeRawBufferPointer(start: chunk.baseAddress, count: read).withMemoryRebound(to: UInt8.self) {
                    body.append(contentsOf: $0)
                }
            }
        }
        return tooLarge ? nil : body
    }

    private static let knownMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
}
