import CFastCGI
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The FastCGI side of the process: one listening unix socket and a fixed pool of request threads,
/// each looping on `FCGX_Accept_r` with its own `FCGX_Request` and its own `RequestContext`.
///
/// Shutdown: `stop()` marks the server stopping and `shutdown()`s the listening socket, which wakes
/// every thread blocked in `accept`; a thread busy with a request finishes and answers it first.
/// `wait()` returns once every thread has left its loop.
final class FastCGIServer: @unchecked Sendable {
    private let socketPath: String
    private let threadCount: Int
    private let bodyLimit: Int
    private let router: Router
    private let makeContext: @Sendable () -> RequestContext
    private let logger: Logger
    private var listenFD: Int32 = -1
    private let stopping = ManagedAtomicFlag()
    private let finished = DispatchGroup()

    init(socketPath: String, threadCount: Int, bodyLimit: Int, router: Router,
         logger: Logger, makeContext: @escaping @Sendable () -> RequestContext) {
        self.socketPath = socketPath
        self.threadCount = threadCount
        self.bodyLimit = bodyLimit
        self.router = router
        self.logger = logger
        self.makeContext = makeContext
    }

    func start() throws {
        guard FCGX_Init() == 0 else { throw ServerError("FCGX_Init failed") }
        unlink(socketPath)
        let fd = FCGX_OpenSocket(socketPath, 1024)
        guard fd >= 0 else { throw ServerError("cannot listen on \(socketPath)") }
        // Only the web server (same user or group) may connect; the socket is the whole API.
        chmod(socketPath, 0o660)
        if let group = getgrnam("www-data") { _ = chown(socketPath, getuid(), group.pointee.gr_gid) }
        listenFD = fd
        for index in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                self.acceptLoop()
                self.finished.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        logger.info("listening", metadata: ["socket": "\(socketPath)", "threads": "\(threadCount)"])
    }

    func stop() {
        guard stopping.setIfUnset() else { return }
        FCGX_ShutdownPending()
        if listenFD >= 0 { shutdown(listenFD, Int32(SHUT_RDWR)) }
    }

    func wait() {
        finished.wait()
        if listenFD >= 0 { close(listenFD) }
        unlink(socketPath)
    }

    private func acceptLoop() {
        let context = makeContext()
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        FCGX_InitRequest(request, listenFD, 0)
        while !stopping.isSet {
            if FCGX_Accept_r(request) < 0 { break }
            let response = respond(to: request, context: context)
            write(response, to: request.pointee.out)
            FCGX_Finish_r(request)
        }
        FCGX_Free(request, 0)
    }

    private func respond(to request: UnsafeMutablePointer<FCGX_Request>, context: RequestContext) -> HTTPResponse {
        let params = Self.copyParams(request.pointee.envp, names: Self.paramNames)
        let method = params["REQUEST_METHOD"] ?? "GET"
        let uri = params["REQUEST_URI"] ?? "/"
        let path = params["DOCUMENT_URI"] ?? String(uri.split(separator: "?", maxSplits: 1).first ?? "/")
        let query = params["QUERY_STRING"] ?? ""
        let length = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
        if length > bodyLimit {
            return APIError.payloadTooLarge(limit: bodyLimit).response
        }
        guard let body = Self.readBody(request.pointee.in, expected: length, limit: bodyLimit) else {
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

    /// Reads the body to its end; nil when it is larger than the limit (chunked bodies included).
    static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, expected: Int, limit: Int) -> [UInt8]? {
        var body: [UInt8] = []
        body.reserveCapacity(min(max(expected, 0), limit))
        var chunk = [CChar](repeating: 0, count: 16 * 1024)
        while true {
            let read = chunk.withUnsafeMutableBufferPointer { FCGX_GetStr($0.baseAddress, Int32($0.count), stream) }
            if read <= 0 { break }
            if body.count + Int(read) > limit { return nil }
            chunk.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(read)) {
                    body.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(read)))
                }
            }
        }
        return body
    }

    /// The FastCGI params the service reads; copying only these keeps per-request allocations low.
    static let paramNames = [
        "REQUEST_METHOD", "REQUEST_URI", "DOCUMENT_URI", "QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE",
        "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_REFERER", "HTTP_HOST", "HTTP_SEC_FETCH_SITE",
        "COACHING_HTTP_HOST", "SERVER_PORT", "COACHING_AUTH_USER_ID", "COACHING_AUTH_ROLE",
    ]

    static func copyParams(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, names: [String]) -> [String: String] {
        var params = [String: String](minimumCapacity: names.count)
        guard let envp else { return params }
        for name in names {
            if let value = FCGX_GetParam(name, envp) {
                params[name] = String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)), as: UTF8.self)
            }
        }
        return params
    }

    private func write(_ response: HTTPResponse, to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        var bytes = response.serializedHead()
        bytes.append(contentsOf: response.body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), stream)
            }
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A set-once flag shared between the signal-handling thread and the request threads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    /// Sets the flag; returns false if it was already set.
    func setIfUnset() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if value { return false }
        value = true
        return true
    }
}
