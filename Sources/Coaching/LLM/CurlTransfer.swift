import CCurl

/// One HTTP POST attempt: its easy handle, the response it collects, and the memory libcurl points
/// into while it runs. Lives on the multi thread only; `CurlMultiLoop` starts it, finishes it and
/// calls `onFinish` exactly once.
final class CurlTransfer {
    enum Outcome {
        /// A complete response with any status. `retryAfterSeconds` when the server sent `Retry-After`.
        case response(status: Int, body: [UInt8], retryAfterSeconds: Int?)
        /// libcurl gave up: `kind` says whether trying again could help.
        case failed(kind: RetryPolicy.Failure, message: String)
        /// A successful response's body passed `maxResponseBytes`; the transfer was aborted.
        case tooLarge
        /// The deadline passed while the transfer waited for a free slot.
        case expired
        case cancelled
    }

    enum Phase { case created, waiting, running, finished }

    let deadline: Int
    var phase = Phase.created

    private let endpoint: CurlEndpoint
    private let body: CurlPostBody
    private let connectTimeoutMilliseconds: Int
    private let maxResponseBytes: Int
    private let onFinish: (Outcome) -> Void

    private(set) var easy: UnsafeMutableRawPointer?
    private var received: [UInt8] = []
    private var overflowed = false
    private var discarding = false
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(
        endpoint: CurlEndpoint,
        body: CurlPostBody,
        deadline: Int,
        connectTimeoutMilliseconds: Int,
        maxResponseBytes: Int,
        onFinish: @escaping (Outcome) -> Void
    ) {
        self.endpoint = endpoint
        self.body = body
        self.deadline = deadline
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
        self.onFinish = onFinish
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        releaseHandle()
        errorBuffer.deallocate()
    }

    /// Creates and configures the easy handle; nil (with the reason) when libcurl refuses.
    func makeHandle(now: Int) -> String? {
        guard let easy = curl_easy_init() else { return "libcurl could not create a transfer" }
        self.easy = easy
        let remaining = max(1, deadline - now)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let write: CurlBridge.WriteCallback = { data, size, count, context in
            guard let context else { return 0 }
            return Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue().receive(data, length: size * count)
        }
        var failed = CurlBridge.setPostOptions(
            easy, endpoint: endpoint, body: body.baseAddress, count: body.count,
            connectTimeoutMilliseconds: max(1, min(connectTimeoutMilliseconds, remaining)), timeoutMilliseconds: remaining,
            write: write, context: context, errorBuffer: errorBuffer)
        for code in [CurlBridge.set(easy, CURLOPT_MAXFILESIZE_LARGE, maxResponseBytes),
                     CurlBridge.set(easy, CURLOPT_ACCEPT_ENCODING, string: "")] where failed == nil && code != CURLE_OK {
            failed = code
        }
        // Over TLS, ALPN tells within the handshake whether HTTP/2 can carry many transfers on one
        // connection; waiting for that beats opening a connection per transfer. Over plain http the
        // answer would only come with the first response, so there the wait would serialise transfers.
        if endpoint.isTLS { CurlBridge.set(easy, CURLOPT_PIPEWAIT, 1) }
        if let failed {
            return "libcurl rejected an option: \(String(cString: curl_easy_strerror(failed)))"
        }
        return nil
    }

    /// Reads the result of a transfer libcurl reported done (before its handle is released).
    func outcome(for code: CURLcode) -> Outcome {
        guard let easy else { return .failed(kind: .transport, message: "transfer has no handle") }
        let status = CurlBridge.integerInfo(easy, CURLINFO_RESPONSE_CODE) ?? 0
        let retryAfter = CurlBridge.integerInfo(easy, CURLINFO_RETRY_AFTER).flatMap { $0 > 0 ? $0 : nil }
        if code == CURLE_OK {
            return .response(status: status, body: received, retryAfterSeconds: retryAfter)
        }
        if overflowed || code == CURLE_FILESIZE_EXCEEDED {
            // An error status with a large body is still that error; only a success is "too large".
            if status >= 300 { return .response(status: status, body: [], retryAfterSeconds: retryAfter) }
            return .tooLarge
        }
        return .failed(kind: Self.failureKind(code), message: describe(code))
    }

    /// Delivers the outcome once and frees the handle; later calls do nothing.
    func finish(_ outcome: Outcome) {
        guard phase != .finished else { return }
        phase = .finished
        releaseHandle()
        received = []
        onFinish(outcome)
    }

    private func releaseHandle() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
    }

    private func receive(_ data: UnsafeMutablePointer<CChar>?, length: Int) -> Int {
        if discarding || length == 0 { return length }
        if received.count + length > maxResponseBytes {
            if let easy, let status = CurlBridge.integerInfo(easy, CURLINFO_RESPONSE_CODE), status >= 300 {
                discarding = true
                received = []
                return length
            }
            overflowed = true
            return 0
        }
        if let data {
            received.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        }
        return length
    }

    private func describe(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    static func failureKind(_ code: CURLcode) -> RetryPolicy.Failure {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
             CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connection
        default:
            return .transport
        }
    }
}
